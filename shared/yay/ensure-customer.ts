import type { NewCustomerDetails } from '../domain/customer-details';
import { YayRejected, YayUnavailable } from '../errors';
import type { CreateCustomerInput, YayApi } from './types';

/**
 * A create refused with a 400 whose name the customer list does not show. The list holds active customers only, so
 * the name may belong to a deactivated customer (of this reseller: ours from an earlier order, or one made outside
 * this product), or the 400 refused something else in the body; either way no retry can change it, so the order
 * waits for a person. It keeps the name the state machine catches definite refusals by (`YayRejected` → outcome
 * failed, `ops replay` once fixed); its message says what to check.
 */
export class CustomerNameNotListed extends YayRejected {}

/**
 * Creates the Yay customer for `input.name`, or adopts the one that name already belongs to, so any
 * number of attempts leave exactly one customer per name.
 *
 * Choice: create first, look up only when needed. The state machine already reuses the customer it
 * recorded for a buyer, so a create here is almost always new; listing every customer first (the list
 * is unpaginated) would cost a full read on each order to protect a rare retry that the duplicate-name
 * 400 catches anyway. The name is derived from the buyer key, so "name exists" means "ours".
 *
 * - 2xx with a uuid → `{ uuid, created: true }`.
 * - 2xx without a uuid (a tolerated variant) → look the name up; not listed yet → YayUnavailable (retry).
 * - unknown outcome (YayUnavailable that may have reached Yay) → look up; found → adopt, else rethrow the
 *   original error so the state machine retries (and the retry meets the 400 if it did land).
 * - 400 (name taken, or another refusal) → look up; found → adopt with `created: false`; not listed →
 *   {@link CustomerNameNotListed}, for a person: the list shows active customers only.
 * - anything else is rethrown untouched.
 */
export async function ensureCustomer(
  api: YayApi,
  input: CreateCustomerInput,
): Promise<{ uuid: string; created: boolean }> {
  let createError: unknown;
  try {
    const { uuid } = await api.createCustomer(input);
    if (uuid) return { uuid, created: true };
  } catch (error) {
    const unknownOutcome = error instanceof YayUnavailable && error.mayHaveReachedYay;
    const nameTaken = error instanceof YayRejected && error.statusCode === 400;
    if (!unknownOutcome && !nameTaken) throw error;
    createError = error;
  }

  const uuid = await findByName(api, input.name);
  if (uuid) {
    // After a lost answer the customer is (almost certainly) this attempt's; after a 400 an earlier one's.
    const created = !(createError instanceof YayRejected);
    return { uuid, created };
  }
  if (createError instanceof YayRejected) {
    throw new CustomerNameNotListed(
      `${createError.message}; and GET /account/reseller (active customers only) does not list ${input.name}. ` +
        `In the Yay dashboard, check whether a deactivated customer holds the name ${input.name}: reactivate it if it ` +
        "is this buyer's, then ops replay adopts it (as it does a customer created moments ago that the list did " +
        'not show yet); if no customer holds it, the 400 refused the body (store front, user or address): fix ' +
        'that, then ops replay.',
      createError.statusCode,
      { cause: createError },
    );
  }
  if (createError) throw createError;
  throw new YayUnavailable(
    `POST /account/reseller: created customer ${input.name} without a uuid and it is not listed yet`,
    true,
  );
}

async function findByName(api: YayApi, name: string): Promise<string | undefined> {
  const matches = (await api.listCustomers()).filter((customer) => customer.name === name);
  // Names are unique platform-wide; if Yay ever listed two, the lowest uuid keeps every retry on the same one.
  return matches.map((customer) => customer.uuid).sort()[0];
}

/** What the create-customer step knows about a buyer, to build the create body from. */
export interface StoreCustomerParams extends NewCustomerDetails {
  /** From {@link customerName}. */
  name: string;
  storeFront: string;
  /** The store login's password: generated once per customer and kept sealed for the welcome e-mail. */
  password: string;
}

/**
 * The create body for a store customer, exactly as the guide's example: one store user (`role_id` "3")
 * and one address. The password goes nowhere but this body (and, sealed, the welcome e-mail's record).
 */
export function storeCustomerInput(params: StoreCustomerParams): CreateCustomerInput {
  return {
    name: params.name,
    contact_name: params.buyer.name,
    store_front: params.storeFront,
    users: [
      {
        contact_first_name: params.buyer.firstName,
        contact_last_name: params.buyer.lastName,
        // The guide's example says "admin". Whether login names are scoped per customer or unique
        // platform-wide is undocumented; the customer name is unique either way and stable on retry.
        name: params.name,
        password: params.password,
        role_id: '3',
        email: params.buyer.email,
      },
    ],
    addresses: [{ ...params.address }],
  };
}
