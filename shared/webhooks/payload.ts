import type { z } from 'zod';
import type { YayAddress } from '../domain/order-event';

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

/**
 * Splits a store's full name into Yay's first and last name. A one-word name fills both, since Yay needs
 * both and inventing a placeholder would put junk on the customer's account.
 */
export function splitName(full: string): { firstName: string; lastName: string } {
  const words = full.trim().split(/\s+/);
  const firstName = words[0] ?? full.trim();
  const lastName = words.length > 1 ? words.slice(1).join(' ') : firstName;
  return { firstName, lastName };
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

const nonEmpty = (value: string | null | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/**
 * Maps a store address to Yay's fields, or undefined when it lacks what Yay requires (first line, city,
 * postcode, two-letter country). Stripe collects only country and postcode unless the merchant asks for a
 * full billing address; such an order still flows, and create-customer decides what to do without one.
 */
export function toYayAddress(raw: RawAddress | null | undefined): YayAddress | undefined {
  if (!raw) return undefined;
  const street_one = nonEmpty(raw.line1);
  const city = nonEmpty(raw.city);
  const zip = nonEmpty(raw.zip);
  const country = nonEmpty(raw.country)?.toUpperCase();
  if (!street_one || !city || !zip || !country || !/^[A-Z]{2}$/.test(country)) return undefined;
  const address: YayAddress = { street_one, city, zip, country_code: country };
  const street_two = nonEmpty(raw.line2);
  const state = nonEmpty(raw.state);
  if (street_two) address.street_two = street_two;
  if (state) address.state = state;
  return address;
}
