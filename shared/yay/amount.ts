import { type Millis, parseSignedCredit } from '../domain/credit';

/**
 * An amount Yay sent, as a number (`10.0`, as the reference shows) or a string (`"10.000"`), possibly negative
 * (a customer who called past zero), in exact thousandths; never a float inside. A JSON number's binary noise
 * (10.1 * 3 = 30.299999999999997) is accepted, a real fourth decimal is not. Throws a plain Error whose message
 * names the value: the caller decides whether unreadable is transient (a balance) or undecidable (a history).
 */
export function readYayAmount(value: unknown): Millis {
  if (typeof value === 'number') {
    const rounded = Math.round(value * 1000);
    if (Number.isFinite(value) && Number.isSafeInteger(rounded) && Math.abs(value * 1000 - rounded) < 1e-6) {
      return (Object.is(rounded, -0) ? 0 : rounded) as Millis;
    }
  } else if (typeof value !== 'string') {
    throw new Error(`${JSON.stringify(value) ?? String(value)} is not a number or a decimal string`);
  }
  return parseSignedCredit(value) as Millis;
}
