import { createHmac } from 'node:crypto';
import { ConfigInvalid, OrderInvalid } from '../errors';

/** RFC 4648 base32 alphabet, lower-cased: letters and digits only, safe on any platform's name rules. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const NAME_CHARS = 20;
const MIN_KEY_LENGTH = 16;

/**
 * The Yay customer name for a buyer: `c` + 20 base32 characters (100 bits) of HMAC-SHA256(namingKey,
 * buyerKey). Yay names are unique platform-wide and the guide advises a random string: this looks random
 * to everyone without the key, yet every retry and replay of the same buyer yields the same name, which
 * is what makes "name exists" mean "we created it already". The leading letter keeps it a valid
 * identifier where a leading digit is not.
 */
export function customerName(buyerKey: string, namingKey: string): string {
  if (typeof buyerKey !== 'string' || buyerKey.trim() === '') {
    throw new OrderInvalid('buyerKey is empty; cannot derive a Yay customer name');
  }
  if (typeof namingKey !== 'string' || namingKey.length < MIN_KEY_LENGTH) {
    throw new ConfigInvalid(`naming key must be at least ${MIN_KEY_LENGTH} characters`);
  }
  const digest = createHmac('sha256', namingKey).update(buyerKey, 'utf8').digest();
  return `c${base32(digest).slice(0, NAME_CHARS)}`;
}

function base32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
