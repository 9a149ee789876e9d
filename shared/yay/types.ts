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

export interface YayCustomer {
  uuid: string;
  name: string;
  contact_name?: string;
  store_front?: string;
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
  /** `PUT /account/reseller/{uuid}` with `{"balance":"10.000"}`: irreversible. */
  transferCredit(customerUuid: string, amount: Millis): Promise<void>;
  /** `GET /account/balance`: the reseller's own balance. */
  resellerBalance(): Promise<Millis>;
  /**
   * One customer's balance, when it can be read; `undefined` when no known path answers (undecidable).
   * The path is unverified (YAY_API.md), so it lives behind this one function.
   */
  customerBalance(customer: { uuid: string; name: string }): Promise<Millis | undefined>;
}
