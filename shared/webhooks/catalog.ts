import * as z from 'zod';
import { EnvNames } from '../config';
import { type Millis, parseCredit } from '../domain/credit';
import type { Credit } from '../domain/order-event';
import { ConfigInvalid } from '../errors';

/**
 * The credit catalog: how much Yay credit (integer thousandths of a pound) one unit buys, per currency it is
 * sold in, keyed by a store SKU, a Stripe price lookup key or a Stripe price id:
 * `{"VOIP-10":{"GBP":"10.000","EUR":"10.000"}}`. A currency missing for a key means "not priced": the order is
 * recorded, waits for a person, and moves no credit until one prices it.
 */
export type CreditCatalog = Readonly<Record<string, Readonly<Record<string, Millis>>>>;

const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter upper-case ISO currency code');

const CreditValue = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseCredit(value);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: error instanceof Error ? error.message : 'invalid credit amount',
    });
    return z.NEVER;
  }
});

export const CreditCatalogSchema = z.record(z.string().min(1), z.record(CurrencyCode, CreditValue));

/**
 * Parses the catalog JSON. Throws {@link ConfigInvalid} naming the variable and the offending path, so a
 * bad deployment fails at cold start instead of mis-crediting an order.
 */
export function parseCreditCatalog(
  raw: string | undefined,
  variable: string = EnvNames.CREDIT_CATALOG,
): CreditCatalog {
  if (raw === undefined || raw.trim() === '') {
    throw new ConfigInvalid(`environment variable ${variable} is required but not set`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigInvalid(`environment variable ${variable} is not valid JSON`);
  }
  const parsed = CreditCatalogSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new ConfigInvalid(
      `environment variable ${variable} is invalid at ${where}: ${issue?.message ?? 'expected {"SKU":{"GBP":"10.000"}}'}`,
    );
  }
  return parsed.data as CreditCatalog;
}

/**
 * One purchased line: the references the catalog may know it by, most specific first (a store SKU; for a Stripe
 * price its lookup key, then its id), and how many. References may be missing on custom items.
 */
export interface CatalogLine {
  refs: readonly (string | null | undefined)[];
  quantity: number;
}

/**
 * Credit bought by a set of line items: Σ catalog[ref][currency] × quantity, where ref is the first of a line's
 * references the catalog has (`provisioning:creditCatalog` keys may be SKUs, Stripe lookup keys or Stripe price
 * ids). Lines none of whose references is in the catalog are other merchandise and ignored. If no line is a
 * credit line, or a credit line is not priced in the order's currency, the amount is null with the reason, so
 * the order waits for a person rather than being guessed.
 */
export function creditForLines(
  catalog: CreditCatalog,
  currency: string,
  lines: readonly CatalogLine[],
): Credit {
  const code = currency.toUpperCase();
  let total = 0;
  let matched = 0;
  for (const line of lines) {
    const ref = catalogRef(catalog, line);
    if (!ref) continue;
    const prices = catalog[ref] as Readonly<Record<string, Millis>>;
    matched += 1;
    const unit = prices[code];
    if (unit === undefined) {
      return { amount: null, currency: code, unpricedReason: `${ref} is not priced in ${code}` };
    }
    total += unit * line.quantity;
  }
  if (matched === 0) {
    return {
      amount: null,
      currency: code,
      unpricedReason: 'no line item is in the credit catalog (by SKU, price lookup key or price id)',
    };
  }
  if (!Number.isSafeInteger(total)) {
    return { amount: null, currency: code, unpricedReason: 'credit total is too large' };
  }
  return { amount: total, currency: code };
}

/** The catalog key a line is known by (its first reference the catalog has), or undefined for other merchandise. */
export function catalogRef(catalog: CreditCatalog, line: CatalogLine): string | undefined {
  return line.refs.map((r) => r?.trim()).find((r): r is string => Boolean(r && catalog[r]));
}

/**
 * The credit a refund's named lines had bought (thousandths): 0 when none of them is a credit line (shipping, other
 * merchandise), null when a credit line among them is not priced in the currency.
 */
export function creditOfRefundedLines(
  catalog: CreditCatalog,
  currency: string,
  lines: readonly CatalogLine[],
): number | null {
  const credit = lines.filter((line) => catalogRef(catalog, line) !== undefined);
  if (credit.length === 0) return 0;
  return creditForLines(catalog, currency, credit).amount;
}

/**
 * True when the order is one credit line (one catalog entry, any quantity) and nothing else: no other line, no
 * shipping. Then a refund that names no line takes credit back in proportion to the money.
 */
export function isSingleCreditLine(
  catalog: CreditCatalog,
  lines: readonly CatalogLine[],
  otherCharges: boolean,
): boolean {
  const bought = lines.filter((line) => line.quantity > 0);
  return !otherCharges && bought.length === 1 && catalogRef(catalog, bought[0] as CatalogLine) !== undefined;
}
