import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigInvalid, OrderInvalid } from '../../../shared/errors';
import { customerName } from '../../../shared/yay/customer-name';

const KEY = 'test-only-naming-key-0123456789';

describe('customerName', () => {
  it('returns the same name for the same buyer key on every call', () => {
    expect(customerName('stripe:acct_1:cus_123', KEY)).toBe(customerName('stripe:acct_1:cus_123', KEY));
  });

  it('is c followed by 20 lowercase base32 characters', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((key) => key.trim() !== ''),
        (buyer) => {
          expect(customerName(buyer, KEY)).toMatch(/^c[a-z2-7]{20}$/);
        },
      ),
    );
  });

  it('pins the derivation so a change of algorithm cannot slip in unnoticed', () => {
    // Renaming every customer would orphan them all: the first 100 bits of the HMAC, base32 encoded.
    const digest = createHmac('sha256', KEY).update('stripe:acct_1:cus_123').digest();
    const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
    let bits = '';
    for (const byte of digest.subarray(0, 13)) bits += byte.toString(2).padStart(8, '0');
    const expected = `c${Array.from({ length: 20 }, (_, i) => alphabet[Number.parseInt(bits.slice(i * 5, i * 5 + 5), 2)]).join('')}`;
    expect(customerName('stripe:acct_1:cus_123', KEY)).toBe(expected);
  });

  it('gives different buyers different names', () => {
    const names = new Set(Array.from({ length: 2_000 }, (_, i) => customerName(`shopify:store:${i}`, KEY)));
    expect(names.size).toBe(2_000);
  });

  it('gives the same buyer a different name under a different key', () => {
    expect(customerName('woocommerce:s:a@example.com', KEY)).not.toBe(
      customerName('woocommerce:s:a@example.com', `${KEY}-other`),
    );
  });

  it('does not contain the buyer key', () => {
    expect(customerName('stripe:acct:cus', KEY)).not.toContain('cus');
  });

  it('throws OrderInvalid naming buyerKey when it is empty', () => {
    expect(() => customerName('  ', KEY)).toThrow(OrderInvalid);
    expect(() => customerName('', KEY)).toThrow(/buyerKey/);
  });

  it('throws ConfigInvalid when the naming key is shorter than 16 characters, without echoing it', () => {
    expect(() => customerName('stripe:a:b', 'short-key')).toThrow(ConfigInvalid);
    expect(() => customerName('stripe:a:b', 'short-key')).not.toThrow(/short-key/);
  });
});
