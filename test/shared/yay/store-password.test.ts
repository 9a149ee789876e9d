import { describe, expect, it } from 'vitest';
import { generateStorePassword } from '../../../shared/yay/store-password';

describe('generateStorePassword', () => {
  it('returns 24 characters with a lower, an upper, a digit and a symbol by default', () => {
    for (let i = 0; i < 200; i += 1) {
      const password = generateStorePassword();
      expect(password).toHaveLength(24);
      expect(password).toMatch(/[a-z]/);
      expect(password).toMatch(/[A-Z]/);
      expect(password).toMatch(/[2-9]/);
      expect(password).toMatch(/[-_.!]/);
      expect(password).toMatch(/^[a-km-zA-HJ-NP-Z2-9\-_.!]+$/);
    }
  });

  it('never repeats across many calls', () => {
    const seen = new Set(Array.from({ length: 1_000 }, () => generateStorePassword()));
    expect(seen.size).toBe(1_000);
  });

  it('spreads characters over the whole alphabet', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 500; i += 1) {
      for (const char of generateStorePassword(64)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    // 61 symbols; with 32000 draws every one appears (a biased or truncated alphabet would not).
    expect(counts.size).toBe(61);
  });

  it('honours the length and refuses one outside 12..128, naming it', () => {
    expect(generateStorePassword(12)).toHaveLength(12);
    expect(() => generateStorePassword(8)).toThrow(/length.*8/);
    expect(() => generateStorePassword(12.5)).toThrow(RangeError);
  });
});
