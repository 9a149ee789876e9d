import { describe, expect, it } from 'vitest';
import { ConfigInvalid } from '../../shared/errors';
import { storeFrontLookup, storeFrontsFromEnv } from '../../shared/store-fronts';

const DEFAULT_FRONT = '5a4d0000-0000-4000-8000-00000000f001';
const SHOP_FRONT = '5a4d0000-0000-4000-8000-0000000000a1';

describe('storeFrontsFromEnv', () => {
  const read = (stores: string | undefined) =>
    storeFrontsFromEnv({
      YAY_STORE_FRONT: DEFAULT_FRONT,
      ...(stores === undefined ? {} : { YAY_STORE_FRONTS: stores }),
    });

  it('reads the default and the stores that have their own', () => {
    expect(read(`{"shop.example.com":"${SHOP_FRONT}"}`)).toEqual({
      default: DEFAULT_FRONT,
      stores: { 'shop.example.com': SHOP_FRONT },
    });
  });

  it.each([
    ['unset', undefined, /^environment variable YAY_STORE_FRONTS is required but not set$/],
    ['not JSON', '{shop', /^environment variable YAY_STORE_FRONTS must be JSON .*, got "\{shop"$/],
    ['a list', `["${SHOP_FRONT}"]`, /^environment variable YAY_STORE_FRONTS must be a JSON object/],
    [
      'an entry that is not a UUID',
      '{"shop.example.com":"abc"}',
      /^environment variable YAY_STORE_FRONTS entry "shop\.example\.com" must be a store front UUID, got "abc"$/,
    ],
  ])('throws ConfigInvalid naming the variable when it is %s', (_what, value, message) => {
    expect(() => read(value)).toThrow(ConfigInvalid);
    expect(() => read(value)).toThrow(message);
  });
});

describe('storeFrontLookup', () => {
  const frontFor = storeFrontLookup({ default: DEFAULT_FRONT, stores: { 'shop.example.com': SHOP_FRONT } });

  it("answers a listed store's own store front and the default for any other", () => {
    expect(frontFor('shop.example.com')).toBe(SHOP_FRONT);
    expect(frontFor('other.example.com')).toBe(DEFAULT_FRONT);
  });

  it('finds nothing inherited for a store id named like an Object.prototype member', () => {
    expect(frontFor('constructor')).toBe(DEFAULT_FRONT);
    expect(frontFor('__proto__')).toBe(DEFAULT_FRONT);
  });
});
