import * as z from 'zod';
import { EnvNames } from '../config';
import { type Millis, parseCredit } from '../domain/credit';
import type { Credit } from '../domain/order-event';
import { ConfigInvalid } from '../errors';

/**
 * The credit catalog: how much Yay credit (integer thousandths of a pound) one unit of a store SKU buys,
 * per currency the store sells it in. `{"VOIP-10":{"GBP":"10.000","EUR":"10.000"}}`. A currency missing for
 * a SKU means "not priced": the order is recorded and flagged, and moves no credit.
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

/** One purchased line: the store's SKU (may be missing on custom items) and how many. */
export interface CatalogLine {
  sku?: string | null;
  quantity: number;
}

/**
 * Credit bought by a set of line items: Σ catalog[sku][currency] × quantity. Lines whose SKU is not in the
 * catalog are other merchandise and ignored. If no line is a credit SKU, or a credit SKU is not priced in
 * the order's currency, the amount is null with the reason, so the order is flagged rather than guessed.
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
    const sku = line.sku?.trim();
    if (!sku) continue;
    const prices = catalog[sku];
    if (!prices) continue;
    matched += 1;
    const unit = prices[code];
    if (unit === undefined) {
      return { amount: null, currency: code, unpricedReason: `SKU ${sku} is not priced in ${code}` };
    }
    total += unit * line.quantity;
  }
  if (matched === 0) {
    return { amount: null, currency: code, unpricedReason: 'no line item SKU is in the credit catalog' };
  }
  if (!Number.isSafeInteger(total)) {
    return { amount: null, currency: code, unpricedReason: 'credit total is too large' };
  }
  return { amount: total, currency: code };
}
