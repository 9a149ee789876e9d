import type { z } from 'zod';
import type { Buyer, PartialAddress } from '../domain/order-event';

/**
 * A body that is signed but cannot be mapped to an order: answered 400 with `{ error, message }`, where
 * the message names the field. Retrying will not fix it, so nothing is published.
 */
export class MalformedPayload extends Error {
  override readonly name = 'MalformedPayload';
  constructor(
    readonly code: 'invalid_json' | 'invalid_payload' | 'missing_header' | 'empty_body',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses `value` with `schema`, or throws {@link MalformedPayload} naming the first bad field as a dotted
 * path under `prefix` (e.g. `data.object.customer_details.email`). Values are never echoed back: a
 * payload may carry personal data.
 */
export function parseField<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  throw new MalformedPayload('invalid_payload', `${path || '(body)'}: ${issue?.message ?? 'invalid'}`);
}

/** Throws a {@link MalformedPayload} naming a required field that is absent or empty. */
export function required<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) {
    throw new MalformedPayload('invalid_payload', `${field}: is required`);
  }
  return value;
}

/** One place a store may name the buyer: separate first and last name fields, and/or one full name. */
export interface NameCandidate {
  first?: string | null;
  last?: string | null;
  full?: string | null;
}

const nonEmpty = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed.replace(/\s+/g, ' ') : undefined;
};

function split(whole: string): { firstName: string; lastName: string } | undefined {
  const words = whole.split(' ');
  if (words.length < 2) return undefined;
  return { firstName: words[0] as string, lastName: words.slice(1).join(' ') };
}

/**
 * The buyer's name from the places the payload names them, best first (billing, then customer, then shipping).
 * Yay needs a first and a last name. Each place in turn: both fields filled wins; else a whole name put into one
 * field (an empty first name with "Grace Hopper" as the last name) is split at the first space. Only when no
 * place names the buyer in two words does a one-word name fill both (inventing a placeholder would put junk on
 * the customer's account). Nothing at all: no name, and the order waits for a person to supply one.
 */
export function pickName(
  candidates: readonly NameCandidate[],
): Pick<Buyer, 'name' | 'firstName' | 'lastName'> {
  let oneWord: string | undefined;
  for (const candidate of candidates) {
    const first = nonEmpty(candidate.first);
    const last = nonEmpty(candidate.last);
    if (first && last)
      return { name: nonEmpty(candidate.full) ?? `${first} ${last}`, firstName: first, lastName: last };
    for (const whole of [candidate.full, last, first]) {
      const name = nonEmpty(whole);
      if (!name) continue;
      const parts = split(name);
      if (parts) return { name, ...parts };
      oneWord ??= name;
    }
  }
  return oneWord ? { name: oneWord, firstName: oneWord, lastName: oneWord } : {};
}

/** An address as a store sends it, before mapping to Yay's fields. */
export interface RawAddress {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  state?: string | null;
  zip?: string | null;
  country?: string | null;
}

function toPartialAddress(raw: RawAddress | null | undefined): PartialAddress | undefined {
  if (!raw) return undefined;
  const address: PartialAddress = {};
  const put = (field: keyof PartialAddress, value: string | null | undefined) => {
    const clean = nonEmpty(value);
    if (clean) address[field] = clean;
  };
  put('street_one', raw.line1);
  put('street_two', raw.line2);
  put('city', raw.city);
  put('state', raw.state);
  put('zip', raw.zip);
  put('country_code', nonEmpty(raw.country)?.toUpperCase());
  return Object.keys(address).length > 0 ? address : undefined;
}

function isComplete(address: PartialAddress): boolean {
  return Boolean(
    address.street_one && address.city && address.zip && /^[A-Z]{2}$/.test(address.country_code ?? ''),
  );
}

/**
 * The address to give Yay, in its field names, from the places the payload has one, best first (billing, then
 * shipping, then the customer's own). The first complete one wins; if none is complete, the first partial one
 * is kept, so a person sees what the store sent and supplies only the rest. Stripe Checkout collects only
 * country and postcode unless the merchant asks for the full address: such an order waits for a person.
 */
export function pickAddress(
  candidates: readonly (RawAddress | null | undefined)[],
): PartialAddress | undefined {
  let partial: PartialAddress | undefined;
  for (const raw of candidates) {
    const address = toPartialAddress(raw);
    if (!address) continue;
    if (isComplete(address)) return address;
    partial ??= address;
  }
  return partial;
}

/** The first non-empty string, trimmed. */
export function firstText(...values: (string | null | undefined)[]): string | undefined {
  for (const value of values) {
    const clean = nonEmpty(value);
    if (clean) return clean;
  }
  return undefined;
}
