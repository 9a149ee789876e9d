/**
 * JSON as stores send it, with integer ids kept exact. Shopify's ids (orders, customers, line items) are
 * 64-bit integers written as bare JSON numbers, and most are above 2^53: `JSON.parse` rounds them to the
 * nearest double, so two orders that differ only in the low digits would share an order key. An integer
 * literal too large to be a safe integer is therefore read as its decimal text (the exact digits sent);
 * every other value is what `JSON.parse` gives.
 *
 * Uses the reviver's source text (`context.source`, V8 / Node.js ≥ 21, on by default in the Lambdas'
 * Node.js 24), so no JSON parser of our own. Only bodies holding a run of 16 or more digits can hold such a
 * literal (2^53 has 16 digits), so the others — every Stripe event — take plain `JSON.parse` at full speed.
 */
export function parseJsonExactIntegers(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return JSON.parse(text, keepUnsafeIntegers);
}

const LONG_DIGIT_RUN = /\d{16}/;
const INTEGER_LITERAL = /^-?\d+$/;

function keepUnsafeIntegers(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_LITERAL.test(source) ? source : value;
}
