import { formatCredit, MIN_TRANSFER, type Millis } from '../domain/credit';
import { OrderInvalid } from '../errors';
import type { CreditAllocation } from './settings';

/** One HTTP call, as the client sends it. */
export interface YayCall {
  method: 'PUT' | 'POST';
  /** With any query string, the uuid already URL-encoded. */
  path: string;
  body: Record<string, string>;
}

/**
 * The one place that decides what moving credit to a customer sends. Change the shape here and nowhere else.
 *
 * - `put-balance` (default): `PUT /account/reseller/{uuid}` with `{"balance":"10.000"}`, exactly the beginners'
 *   guide's example. The guide also says a PUT carries the whole object, omitted fields defaulted; whether that
 *   resets other fields of the customer here is unverified, and sending the record back would race with other
 *   writers, so the example wins.
 * - `allocate`: the reference's allocation command. Documented: parameters `uuid` and `net` (required, a string),
 *   both under "URL and Query String Parameters". Guessed: the path (`/account/reseller-balance/{uuid}`, the
 *   family the balance read tries first), the method (POST: an allocation adds a movement), `net` in the query
 *   string, and the amount as `{"balance":"10.000"}` in the body, as in the guide's PUT.
 *
 * Amounts go out with exactly three decimals, never below 0.010.
 */
export function creditAllocationCall(
  allocation: CreditAllocation,
  customerUuid: string,
  amount: Millis,
): YayCall {
  if (typeof customerUuid !== 'string' || customerUuid.trim() === '') {
    throw new OrderInvalid('customer uuid is empty');
  }
  if (!Number.isSafeInteger(amount) || amount < MIN_TRANSFER) {
    throw new OrderInvalid(
      `transfer amount ${amount} (thousandths) is below the minimum of 0.010 or not an integer`,
    );
  }
  const uuid = encodeURIComponent(customerUuid);
  const body = { balance: formatCredit(amount) };
  if (allocation.command === 'allocate') {
    return {
      method: 'POST',
      path: `/account/reseller-balance/${uuid}?net=${encodeURIComponent(allocation.net)}`,
      body,
    };
  }
  return { method: 'PUT', path: `/account/reseller/${uuid}`, body };
}

/** The call's shape for people (`ops yay-check`, shared/yay/README.md), with the amount left as a placeholder. */
export function describeCreditAllocation(allocation: CreditAllocation): string {
  return allocation.command === 'allocate'
    ? `POST /account/reseller-balance/{uuid}?net=${allocation.net} with {"balance":"<amount>"} (the reference's allocation command; path, method and amount field guessed)`
    : 'PUT /account/reseller/{uuid} with {"balance":"<amount>"} (the beginners\' guide\'s example)';
}
