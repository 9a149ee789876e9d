import * as z from 'zod';
import type { Millis } from '../domain/credit';
import { YayAddressSchema } from '../domain/order-event';
import { OrderInvalid } from '../errors';
import { describeIssues, unexpectedBody } from './call-errors';
import { creditAllocationCall } from './credit-allocation';
import { customerBalanceReaders, customerPath, type HistoryProbe, readBalance } from './customer-balance';
import {
  type YayConnection,
  type YayMethod,
  type YayRequestOptions,
  type YayResponse,
  yayRequest,
} from './request';
import {
  BALANCE_HISTORY_SOURCES,
  type BalanceHistorySource,
  CUSTOMER_BALANCE_SOURCES,
  type CustomerBalanceSource,
  DEFAULT_YAY_SETTINGS,
  type YaySettings,
} from './settings';
import type { BalanceHistoryEntry, CreateCustomerInput, YayApi, YayCustomer } from './types';

export type { HistoryProbe } from './customer-balance';
export type { YayMethod, YayRequestOptions, YayResponse } from './request';

/** Options of {@link createYayClient}: the connection, and the settings the API's unknowns leave open. */
export interface YayClientOptions extends YayConnection {
  /**
   * Which balance and history paths to read and how to move credit, where the API leaves it unknown.
   * Default {@link DEFAULT_YAY_SETTINGS}: every candidate in order, and the guide's transfer.
   */
  settings?: YaySettings;
}

/** {@link YayApi} plus the raw call and each candidate on its own, for probing undocumented paths (`ops yay-check`). */
export interface YayClient extends YayApi {
  /** The settings this client runs with. */
  readonly settings: YaySettings;
  /** One call with the auth headers; throws the mapped error for anything but 2xx. */
  request(method: YayMethod, path: string, options?: YayRequestOptions): Promise<YayResponse>;
  /** One customer-balance candidate alone, whatever the settings pin: the balance, or `undefined`. */
  customerBalanceFrom(
    source: CustomerBalanceSource,
    customer: { uuid: string; name: string },
  ): Promise<Millis | undefined>;
  /** One balance-history candidate alone, whatever the settings say. */
  customerBalanceHistoryFrom(
    source: BalanceHistorySource,
    customer: { uuid: string; name: string },
  ): Promise<HistoryProbe>;
}

/**
 * The documented list item has more (`phone`, `created_on`, `addresses`, `ip_addresses`, `users` with their
 * `password`): only these four are read, so nothing else of an item, least of all a password, goes further.
 */
const CustomerListSchema = z.array(
  z.looseObject({
    uuid: z.string().min(1),
    name: z.string().min(1),
    contact_name: z.string().nullish(),
    store_front: z.string().nullish(),
  }),
);

const CreatedSchema = z.looseObject({ uuid: z.string().min(1).optional() });

const StoreFrontsSchema = z.union([
  z.array(z.record(z.string(), z.unknown())),
  z.record(z.string(), z.unknown()),
]);

/** The create body as the guide shows it; checked before sending so bad input never reaches Yay. */
const CreateCustomerInputSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
  contact_name: z.string().trim().min(1),
  store_front: z.string().trim().min(1),
  users: z
    .array(
      z.object({
        contact_first_name: z.string().trim().min(1),
        contact_last_name: z.string().trim().min(1),
        name: z.string().trim().min(1),
        password: z.string().min(8),
        role_id: z.literal('3'),
        email: z.email(),
      }),
    )
    .min(1),
  addresses: z.array(YayAddressSchema).min(1),
});

/**
 * Creates the typed Yay API client over fetch. Every call carries the three auth headers and a
 * User-Agent, has a timeout, reads the envelope, and maps failures onto the error classes the state
 * machine retries or catches. It never retries by itself: retries belong to the state machine, where
 * they are visible and bounded. Credentials never appear in a thrown error or its `cause` chain.
 */
export function createYayClient(options: YayClientOptions): YayClient {
  const request = yayRequest(options);
  const settings = options.settings ?? DEFAULT_YAY_SETTINGS;
  const { balanceFrom, historyFrom } = customerBalanceReaders(request, () => client.resellerBalance());

  const client: YayClient = {
    settings,
    request,

    async checkAuthentication() {
      await request('GET', '/authenticated');
    },

    async createCustomer(input: CreateCustomerInput) {
      const checked = CreateCustomerInputSchema.safeParse(input);
      if (!checked.success) {
        throw new OrderInvalid(`create customer input is invalid: ${describeIssues(checked.error)}`);
      }
      const { result } = await request('POST', '/account/reseller', { body: input });
      // The create answer is undocumented: a missing uuid is tolerated and the caller looks the name up.
      const created = CreatedSchema.safeParse(result);
      return created.success && created.data.uuid ? { uuid: created.data.uuid } : {};
    },

    async listCustomers(): Promise<YayCustomer[]> {
      const context = 'GET /account/reseller';
      const { result } = await request('GET', '/account/reseller');
      const parsed = CustomerListSchema.safeParse(result);
      if (!parsed.success) throw unexpectedBody(context, parsed.error);
      return parsed.data.map((customer) => ({
        uuid: customer.uuid,
        name: customer.name,
        ...(customer.contact_name ? { contact_name: customer.contact_name } : {}),
        ...(customer.store_front ? { store_front: customer.store_front } : {}),
      }));
    },

    async listStoreFronts() {
      const { result } = await request('GET', '/account/store');
      const parsed = StoreFrontsSchema.safeParse(result);
      if (!parsed.success) throw unexpectedBody('GET /account/store', parsed.error);
      if (Array.isArray(parsed.data)) return parsed.data;
      return Object.keys(parsed.data).length === 0 ? [] : [parsed.data];
    },

    async transferCredit(customerUuid: string, amount: Millis) {
      const call = creditAllocationCall(settings.creditAllocation, customerUuid, amount);
      await request(call.method, call.path, { body: call.body });
    },

    async resellerBalance() {
      const context = 'GET /account/balance';
      const { result } = await request('GET', '/account/balance');
      return readBalance(context, result);
    },

    customerBalanceFrom: balanceFrom,
    customerBalanceHistoryFrom: historyFrom,

    async customerBalance(customer) {
      customerPath(customer.uuid); // refuses an empty uuid before any call

      const sources =
        settings.customerBalance === 'auto' ? CUSTOMER_BALANCE_SOURCES : [settings.customerBalance];
      for (const source of sources) {
        const balance = await balanceFrom(source, customer);
        if (balance !== undefined) return balance;
      }
      return undefined;
    },

    async customerBalanceHistory(customer): Promise<BalanceHistoryEntry[] | undefined> {
      customerPath(customer.uuid); // refuses an empty uuid before any call

      if (settings.balanceHistory === 'none') return undefined;
      const sources =
        settings.balanceHistory === 'auto' ? BALANCE_HISTORY_SOURCES : [settings.balanceHistory];
      for (const source of sources) {
        const probe = await historyFrom(source, customer);
        if (probe.kind === 'ledger') return probe.entries;
        // A history that answered but cannot be read exactly is not retried under another guessed path.
        if (probe.kind === 'unreadable') return undefined;
      }
      return undefined;
    },
  };

  return client;
}
