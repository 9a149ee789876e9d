import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyerKey, executionName, orderKey } from '../../../shared/domain/keys';

describe('orderKey', () => {
  it('joins provider, store and order id with colons', () => {
    expect(orderKey('stripe', 'acct_1', 'cs_test_123')).toBe('stripe:acct_1:cs_test_123');
  });
});

describe('buyerKey', () => {
  it('uses the provider customer id when there is one', () => {
    expect(buyerKey('shopify', 'shop.example', ' 42 ', 'A@Example.com')).toBe('shopify:shop.example:42');
  });

  it('falls back to the trimmed, lower-cased e-mail when the customer id is missing or blank', () => {
    expect(buyerKey('woocommerce', 'w1', undefined, ' Ada@Example.COM ')).toBe(
      'woocommerce:w1:ada@example.com',
    );
    expect(buyerKey('woocommerce', 'w1', '  ', 'Ada@Example.COM')).toBe('woocommerce:w1:ada@example.com');
  });

  it('gives a repeat buyer the same key whatever the e-mail casing', () => {
    expect(buyerKey('stripe', 's', undefined, 'BOB@example.com')).toBe(
      buyerKey('stripe', 's', undefined, 'bob@EXAMPLE.com'),
    );
  });
});

describe('executionName', () => {
  it('is at most 80 characters of [A-Za-z0-9-_] for any key and replay', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.option(fc.integer({ min: 1, max: 1_000_000 })),
        (key, replay) => {
          const name = executionName(key, replay ?? undefined);
          expect(name.length).toBeLessThanOrEqual(80);
          expect(name).toMatch(/^[A-Za-z0-9\-_]+$/);
        },
      ),
    );
  });

  it('is stable for the same key', () => {
    const key = orderKey('stripe', 'acct_1', 'cs_test_a1');
    expect(executionName(key)).toBe(executionName(key));
  });

  it('keeps a readable prefix of the key', () => {
    expect(executionName('stripe:acct_1:cs_test_a1')).toMatch(/^stripe_acct_1_cs_test_a1-[0-9a-f]{16}$/);
  });

  it('differs for keys that only differ in replaced characters', () => {
    expect(executionName('shopify:s:a.b')).not.toBe(executionName('shopify:s:a/b'));
  });

  it('differs for long keys that share the first 80 characters', () => {
    const prefix = 'x'.repeat(100);
    expect(executionName(`${prefix}1`)).not.toBe(executionName(`${prefix}2`));
  });

  it('appends -r<n> for a deliberate replay and nothing for no replay', () => {
    const key = 'stripe:acct_1:cs_1';
    expect(executionName(key, 2)).toBe(`${executionName(key)}-r2`);
    expect(executionName(`${'y'.repeat(200)}`, 12)).toMatch(/-r12$/);
  });
});
