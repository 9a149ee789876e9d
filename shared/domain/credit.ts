import { OrderInvalid } from '../errors';

/**
 * A credit amount in integer thousandths of a pound (10.000 GBP → 10000). Never a float inside the
 * code: Yay takes three decimals on the wire, and rounding errors on an irreversible transfer are money.
 */
export type Millis = number & { readonly __brand: 'Millis' };

/** The smallest transfer Yay accepts: 0.01. */
export const MIN_TRANSFER = 10 as Millis;

const DECIMAL = /^(\d+)(?:\.(\d{1,3}))?$/;

/**
 * Parses "10.000", "10", "0.5" or a number such as 10.5 into thousandths.
 * Throws {@link OrderInvalid} naming the value for negatives, NaN, more than three decimals or junk.
 */
export function parseCredit(value: unknown): Millis {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new OrderInvalid(`credit amount ${String(value)} is not a finite number`);
    // Numbers from JSON (Yay may send balances as numbers): take their shortest decimal form.
    text = String(value);
    // Exponent notation only appears below 1e-6 or from 1e21 up. toFixed would round a tiny amount to
    // "0.000" and silently accept it, so both ends are refused here, naming the value.
    if (/e/i.test(text)) {
      if (value < 0) throw new OrderInvalid(`credit amount "${text}" is negative`);
      if (Math.abs(value) < 1) throw new OrderInvalid(`credit amount "${text}" has more than three decimals`);
      throw new OrderInvalid(`credit amount "${text}" is too large`);
    }
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new OrderInvalid(
      `credit amount ${JSON.stringify(value) ?? String(value)} is not a number or string`,
    );
  }
  if (text.startsWith('-')) throw new OrderInvalid(`credit amount "${text}" is negative`);
  const match = DECIMAL.exec(text);
  if (!match) {
    const decimals = /^\d+\.(\d+)$/.exec(text)?.[1];
    if (decimals && decimals.length > 3) {
      throw new OrderInvalid(`credit amount "${text}" has more than three decimals`);
    }
    throw new OrderInvalid(`credit amount "${text}" is not a decimal number`);
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(3, '0'));
  const millis = whole * 1000 + fraction;
  if (!Number.isSafeInteger(millis)) throw new OrderInvalid(`credit amount "${text}" is too large`);
  return millis as Millis;
}

/**
 * Parses a balance, which may be negative (a customer who called past zero): "-0.090", -0.09, "10.5". As
 * {@link parseCredit} otherwise: exact thousandths or {@link OrderInvalid} naming the value, never a float.
 */
export function parseSignedCredit(value: unknown): number {
  if (typeof value === 'number' && value < 0) return -parseCredit(-value);
  if (typeof value === 'string' && value.trim().startsWith('-')) {
    const magnitude = value.trim().slice(1);
    // "--5" or "- 5" is not a number anyone meant.
    if (!/^\d/.test(magnitude))
      throw new OrderInvalid(`credit amount "${value.trim()}" is not a decimal number`);
    const millis = parseCredit(magnitude);
    return millis === 0 ? 0 : -millis;
  }
  return parseCredit(value);
}

/** Parses a transfer amount: as {@link parseCredit}, and at least 0.01. */
export function parseTransferAmount(value: unknown): Millis {
  const millis = parseCredit(value);
  if (millis < MIN_TRANSFER) {
    throw new OrderInvalid(`credit amount "${formatCredit(millis)}" is below the minimum transfer of 0.010`);
  }
  return millis;
}

/** Formats thousandths with exactly three decimals, as Yay expects on the wire: 10000 → "10.000". */
export function formatCredit(millis: number): string {
  if (!Number.isSafeInteger(millis) || millis < 0)
    throw new OrderInvalid(`credit amount ${millis} is not valid`);
  const whole = Math.floor(millis / 1000);
  const fraction = String(millis % 1000).padStart(3, '0');
  return `${whole}.${fraction}`;
}

/**
 * Formats any balance for people (logs, reasons, the ops CLI): a customer's balance may be negative
 * (calls on credit), which {@link formatCredit} refuses because it guards the wire.
 */
export function describeCredit(millis: number): string {
  if (!Number.isSafeInteger(millis)) return String(millis);
  return millis < 0 ? `-${formatCredit(-millis)}` : formatCredit(millis);
}
