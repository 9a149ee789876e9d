import { randomBytes } from 'node:crypto';

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '-_.!';
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;

/**
 * A fresh password for the customer's store login: sent once to Yay in the create call and never
 * stored or logged (nobody needs it again; the buyer resets it through the store). Drawn uniformly with
 * rejection sampling from crypto.randomBytes, with one character of every class so common password
 * rules accept it; no look-alike characters (0/O, 1/l/I).
 */
export function generateStorePassword(length = 24): string {
  if (!Number.isSafeInteger(length) || length < 12 || length > 128) {
    throw new RangeError(`store password length must be an integer from 12 to 128, got ${length}`);
  }
  const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(ALL));
  // Shuffle (Fisher-Yates) so the guaranteed classes do not sit at fixed positions.
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = uniformIndex(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

function pick(alphabet: string): string {
  return alphabet[uniformIndex(alphabet.length)] as string;
}

/** A uniform integer in [0, bound) for bound ≤ 256, without modulo bias. */
function uniformIndex(bound: number): number {
  const limit = 256 - (256 % bound);
  for (;;) {
    const byte = randomBytes(1)[0] as number;
    if (byte < limit) return byte % bound;
  }
}
