import type { Millis } from '../domain/credit';
import type { YayAddress } from '../domain/order-event';

/** A store login user, as the create body takes it. `role_id` "3" is the store user role. */
export interface YayStoreUser {
  contact_first_name: string;
  contact_last_name: string;
  name: string;
  password: string;
  role_id: '3';
  email: string;
}

export interface CreateCustomerInput {
  /** Unique platform-wide; derived with {@link customerName}. */
  name: string;
  contact_name: string;
  store_front: string;
  users: YayStoreUser[];
  addresses: YayAddress[];
}

/**
 * One customer of `GET /account/reseller` (active customers only), reduced to what this project uses. The list
 * also carries each customer's users, each with a `password` field: none of it is ever copied here.
 */
export interface YayCustomer {
  uuid: string;
  /** Unique platform-wide; may contain spaces when the customer was created outside this product. */
  name: string;
  contact_name?: string;
  store_front?: string;
}

/**
 * One movement of a customer's balance history, as {@link YayApi.customerBalanceHistory} returns it.
 * `change` and `at` are always there: an entry without them could not prove a transfer applied or not.
 */
export interface BalanceHistoryEntry {
  /** The signed movement in thousandths: positive for an allocation or top-up, negative for spending. */
  change: Millis;
  /** When it happened: an ISO-8601 instant in UTC with milliseconds (`Date#toISOString`). */
  at: string;
  /** The balance after it, signed, in thousandths, when the entry carries one. */
  balance?: Millis;
}

/** The calls this project makes; one implementation over HTTP, fakes in tests. */
export interface YayApi {
  /** `GET /authenticated`. Throws YayAuthFailed on bad credentials. */
  checkAuthentication(): Promise<void>;
  /** `POST /account/reseller`. Returns the uuid when the response carries one. */
  createCustomer(input: CreateCustomerInput): Promise<{ uuid?: string }>;
  /** `GET /account/reseller`. */
  listCustomers(): Promise<YayCustomer[]>;
  /** `GET /account/store`; the shape is undocumented, so raw objects. */
  listStoreFronts(): Promise<Record<string, unknown>[]>;
  /**
   * Moves `amount` from the reseller to the customer: irreversible. By default `PUT /account/reseller/{uuid}` with
   * `{"balance":"10.000"}`; the shape is configurable and built in one place (shared/yay/credit-allocation.ts).
   */
  transferCredit(customerUuid: string, amount: Millis): Promise<void>;
  /** `GET /account/balance`: the reseller's own balance. */
  resellerBalance(): Promise<Millis>;
  /**
   * One customer's balance (signed: it may be below zero), when it can be read; `undefined` when no candidate path
   * answers (undecidable). The documented command's path is unknown, so every candidate lives behind this one
   * function (shared/yay/README.md). Transient errors (YayUnavailable, YayRateLimited) and YayAuthFailed are
   * thrown, never turned into `undefined`.
   */
  customerBalance(customer: { uuid: string; name: string }): Promise<Millis | undefined>;
  /**
   * One customer's balance history, read as a ledger, or `undefined` when no candidate path answers an array, the
   * answer cannot be read exactly, or the history is switched off (`yay:balanceHistoryPath=none`). Transient
   * errors are thrown, as for {@link customerBalance}.
   *
   * A returned array (possibly empty) guarantees:
   * - it is every entry Yay answered, oldest first (entries at the same instant in Yay's order);
   * - each entry's `change` was read exactly, signed, from the one change field it carries, and its `at` from the
   *   one timestamp it carries, which has a date, a time and a zone; no entry carries a field that could flip
   *   the sign of its amount (`type`, `direction`, `debit`, …);
   * - when every entry carries a balance, each balance is the previous one plus its change.
   *
   * It cannot guarantee what only Yay knows: that its history lists every allocation (unverified; `ops yay-check`
   * compares the newest entry's balance with the current balance), or that Yay's clock agrees with ours (`at` is
   * Yay's time). An entry's `change` equal to a transfer's amount is evidence of that transfer only at a time no
   * other transfer of that amount to that customer could have landed.
   */
  customerBalanceHistory(customer: {
    uuid: string;
    name: string;
  }): Promise<BalanceHistoryEntry[] | undefined>;
}
