import * as z from 'zod';
import type { OrderEvent, YayAddress } from './order-event';

/** What a new Yay store customer needs from the order: a named buyer with an e-mail, and one address. */
export interface NewCustomerDetails {
  buyer: { name: string; firstName: string; lastName: string; email: string; phone?: string };
  address: YayAddress;
}

const Email = z.email();
const COUNTRY = /^[A-Z]{2}$/;

const text = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

/**
 * The details of a new customer, or the fields still missing, named as `buyer.firstName`,
 * `address.street_one` and so on (what `ops complete` supplies). Pure: intake, create-customer and
 * `ops complete` all judge an order by this one function.
 */
export function newCustomerDetails(
  order: Pick<OrderEvent, 'buyer' | 'address'>,
): { ok: true; details: NewCustomerDetails } | { ok: false; missing: string[]; problems: string[] } {
  const missing: string[] = [];
  const problems: string[] = [];
  const firstName = text(order.buyer?.firstName);
  const lastName = text(order.buyer?.lastName);
  const email = text(order.buyer?.email);
  if (!firstName) missing.push('buyer.firstName');
  if (!lastName) missing.push('buyer.lastName');
  if (!email) missing.push('buyer.email');
  else if (!Email.safeParse(email).success) {
    missing.push('buyer.email');
    problems.push('buyer.email is not a valid e-mail address');
  }
  const street = text(order.address?.street_one);
  const city = text(order.address?.city);
  const zip = text(order.address?.zip);
  const country = text(order.address?.country_code)?.toUpperCase();
  if (!street) missing.push('address.street_one');
  if (!city) missing.push('address.city');
  if (!zip) missing.push('address.zip');
  if (!country) missing.push('address.country_code');
  else if (!COUNTRY.test(country)) {
    missing.push('address.country_code');
    problems.push('address.country_code must be a two-letter ISO code');
  }
  if (missing.length > 0 || !firstName || !lastName || !email || !street || !city || !zip || !country) {
    return { ok: false, missing, problems };
  }
  const buyer: NewCustomerDetails['buyer'] = {
    name: text(order.buyer?.name) ?? `${firstName} ${lastName}`,
    firstName,
    lastName,
    email,
  };
  const phone = text(order.buyer?.phone);
  if (phone) buyer.phone = phone;
  const address: YayAddress = { street_one: street, city, zip, country_code: country };
  const street2 = text(order.address?.street_two);
  const state = text(order.address?.state);
  if (street2) address.street_two = street2;
  if (state) address.state = state;
  return { ok: true, details: { buyer, address } };
}

/** One sentence naming what is missing, for the order's attention and the error. */
export function describeMissing(missing: readonly string[], problems: readonly string[]): string {
  const parts = [`a new Yay customer needs ${missing.join(', ')}`];
  if (problems.length > 0) parts.push(problems.join('; '));
  return `${parts.join(': ')}`;
}
