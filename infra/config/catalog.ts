import * as z from 'zod';
import { parseCredit } from '../../shared/domain/credit';
import { refuse } from './context-value';

/** SKU → currency → thousandths of a pound. */
export type CreditCatalog = Readonly<Record<string, Readonly<Record<string, number>>>>;

const CatalogShape = z.record(z.string().min(1), z.record(z.string().regex(/^[A-Z]{3}$/), z.unknown()));

/**
 * `provisioning:creditCatalog`, required: `{"SKU":{"GBP":"10.000"}}`, as JSON or as a JSON string (`-c`). A wrong
 * shape names where it went wrong under the key; a wrong amount names its SKU and currency.
 */
export const CreditCatalogSchema = z.unknown().transform((raw, ctx): CreditCatalog => {
  if (raw === undefined) return refuse(ctx, 'is required', raw);
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return refuse(ctx, 'must be a JSON object {"SKU":{"GBP":"10.000"}}', raw);
    }
  }
  const parsed = CatalogShape.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    return refuse(
      ctx,
      'must map SKU to {"<ISO currency>": "<amount>"}, e.g. {"CREDIT-10":{"GBP":"10.000"}}',
      raw,
      where ? [where] : [],
    );
  }
  const catalog: Record<string, Record<string, number>> = {};
  for (const [sku, prices] of Object.entries(parsed.data)) {
    const priced: Record<string, number> = {};
    catalog[sku] = priced;
    for (const [currency, amount] of Object.entries(prices)) {
      try {
        priced[currency] = parseCredit(amount);
      } catch (error) {
        return refuse(
          ctx,
          `must be a credit amount with at most three decimals (${(error as Error).message})`,
          amount,
          [sku, currency],
        );
      }
    }
  }
  return catalog;
});

/**
 * The credit catalog as the Lambdas' `CREDIT_CATALOG` env var takes it (`{"SKU":{"GBP":"10.000"}}`):
 * re-formatted from the parsed amounts so the wire form is always canonical.
 */
export function catalogEnvValue(catalog: CreditCatalog, format: (millis: number) => string): string {
  const out: Record<string, Record<string, string>> = {};
  for (const [sku, prices] of Object.entries(catalog)) {
    out[sku] = Object.fromEntries(
      Object.entries(prices).map(([currency, millis]) => [currency, format(millis)]),
    );
  }
  return JSON.stringify(out);
}
