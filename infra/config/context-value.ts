/**
 * How a context key's schema reads a value and refuses one. Every refusal becomes one ConfigInvalid whose message
 * names the key (and the path under it) and shows the value as given:
 * `context <key>[.<path>] <expectation>, got <value>`.
 */
import * as z from 'zod';
import { parseCredit } from '../../shared/domain/credit';
import { ConfigInvalid } from '../../shared/errors';

/** A value as an error message shows it: JSON, cut to 80 characters. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Throws the ConfigInvalid of a refused key: for rules that read several keys at once. */
export function fail(key: string, expectation: string, value: unknown): never {
  throw new ConfigInvalid(`context ${key} ${expectation}, got ${show(value)}`);
}

/**
 * Refuses the value inside a schema: `expectation` follows the key (and `path` under it), `got` is what the message
 * shows. Returns `z.NEVER`, so a transform can `return refuse(…)`.
 */
export function refuse(ctx: z.RefinementCtx, expectation: string, got: unknown, path: string[] = []): never {
  ctx.addIssue({ code: 'custom', message: expectation, path, params: { got } });
  return z.NEVER;
}

/** Reads one context key with its schema; the schema's first refusal is thrown as {@link fail} words it. */
export function readKey<T>(key: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const params = issue?.code === 'custom' ? issue.params : undefined;
  const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
  fail(`${key}${path}`, issue?.message ?? 'is invalid', params && 'got' in params ? params.got : raw);
}

/** `schema`, whatever fails in it refused as `expectation`, showing the value as given. */
export function expecting<T>(schema: z.ZodType<T>, expectation: string) {
  return z.unknown().transform((raw, ctx): T => {
    const parsed = schema.safeParse(raw);
    return parsed.success ? parsed.data : refuse(ctx, expectation, raw);
  });
}

/** A key left out, `null` or `''` (as cdk.json leaves one empty) takes `fallback`; anything else goes to `schema`. */
export function orDefault<T>(schema: z.ZodType<T>, fallback: NoInfer<T>) {
  return z.preprocess(
    (raw) => (raw === null || raw === '' ? undefined : raw),
    schema.optional().transform((value) => value ?? fallback),
  );
}

/**
 * An optional text key: a string, trimmed, or nothing (absent, `null` or blank). Any other type is refused as
 * `notText`; a present value failing a rule is refused with that rule's expectation.
 */
export function optionalText(
  notText: string,
  ...rules: ReadonlyArray<readonly [check: z.ZodType<string>, expectation: string]>
) {
  return z.unknown().transform((raw, ctx): string | undefined => {
    if (raw !== undefined && raw !== null && typeof raw !== 'string') return refuse(ctx, notText, raw);
    const value = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
    if (value === undefined) return undefined;
    for (const [check, expectation] of rules) {
      if (!check.safeParse(value).success) return refuse(ctx, expectation, raw);
    }
    return value;
  });
}

/**
 * A whole number, from a JSON number or the string `-c key=value` gives on the CLI; anything else is refused as
 * `expectation`, and a number failing a rule with that rule's expectation.
 */
export function wholeNumber(
  expectation: string,
  ...rules: ReadonlyArray<readonly [check: (value: number) => boolean, expectation: string]>
) {
  return z.unknown().transform((raw, ctx): number => {
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return refuse(ctx, expectation, raw);
    for (const [check, expected] of rules) if (!check(value)) return refuse(ctx, expected, raw);
    return value;
  });
}

/** cdk.json gives a JSON boolean, `-c key=true` a string: both, and nothing else, mean a flag. */
const FlagSchema = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);

/** An optional flag, off unless set. */
export const optionalFlag = orDefault(expecting(FlagSchema, 'must be true or false'), false);

/** An amount in thousandths of a pound, as `parseCredit` reads it (three decimals at most). */
export function creditAmount(expectation: string) {
  return z.unknown().transform((raw, ctx): number => {
    try {
      return parseCredit(raw);
    } catch {
      return refuse(ctx, expectation, raw);
    }
  });
}

/** An https URL, as zod checks it. */
export const HttpsUrl = z.url({ protocol: /^https$/ });
