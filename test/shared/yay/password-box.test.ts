import { describe, expect, it } from 'vitest';
import { openPassword, passwordKey, sealPassword } from '../../../shared/yay/password-box';

const KEY_SECRET = 'test-only-password-key-not-a-secret-0123456789';

describe('password box', () => {
  const key = passwordKey(KEY_SECRET);

  it('opens what it sealed for the same customer, and the sealed text does not show the password', () => {
    const sealed = sealPassword('S3cret-pass.word', key, 'cabc');

    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('S3cret');
    expect(openPassword(sealed, key, 'cabc')).toBe('S3cret-pass.word');
  });

  it('refuses a sealed password moved onto another customer, or opened with another key, naming no content', () => {
    const sealed = sealPassword('S3cret-pass.word', key, 'cabc');

    expect(() => openPassword(sealed, key, 'cxyz')).toThrow(
      'sealed password: does not open with this key for this customer',
    );
    expect(() => openPassword(sealed, passwordKey(`${KEY_SECRET}-other`), 'cabc')).toThrow(/does not open/);
    expect(() => openPassword('v2.abc', key, 'cabc')).toThrow(/unknown format/);
  });
});
