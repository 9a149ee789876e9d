/** What a Yay sandbox is and takes: its options, its undocumented-behaviour switches, its state and its knobs. */
import type { Millis } from '../../shared/domain/credit';
import type { YayCredentials } from '../../shared/secrets';
import type { SandboxFaults } from './faults';
import type { SandboxCustomer, SandboxStoreFront, SandboxTransfer } from './ledger';

/**
 * Where the sandbox serves the reference's balance commands (one customer's balance, its history, the credit
 * allocation), whose literal paths no published copy shows: under `/account/reseller-balance/{uuid}` (history at
 * `…/history`, allocation `POST …?net=`), under `/account/reseller/{uuid}/balance` (the same beneath it), or
 * nowhere. The client tries both families; tests switch this to show each candidate order.
 */
export type SandboxBalanceCommands = 'reseller-balance' | 'reseller-uuid' | 'none';

/**
 * How the sandbox serves undocumented behaviour (shared/yay/README.md says what is known and what is guessed).
 * Each variant the client must tolerate can be switched on, so tests exercise it over real HTTP.
 */
export interface SandboxBehaviour {
  /** Answer a create with 201 but without `uuid` in `result`. Default false. */
  omitUuidOnCreate: boolean;
  /** Balances as JSON numbers (`10.5`, as the docs show) or strings (`"10.500"`). Default 'number'. */
  amountsAs: 'number' | 'string';
  /** Answer HTTP 200 for everything and put the real status only in the envelope's `status_code`. */
  statusInEnvelopeOnly: boolean;
  /**
   * `GET /account/reseller/{uuid}` carries a `balance` field. Default false: no published customer record has one.
   */
  balanceOnCustomerRecord: boolean;
  /** Where the balance commands answer. Default 'reseller-balance'. */
  balanceCommands: SandboxBalanceCommands;
  /**
   * What the history command answers: 'ledger' (hand-written entries `{uuid, amount, balance, created_on}` with
   * signed amounts and an ISO instant, since the reference shows none), 'documented-example' (the reference's own
   * example result, `[{}]`, whatever the customer did), or 'none' (404, as a path that does not exist).
   * Default 'ledger'.
   */
  balanceHistory: 'ledger' | 'documented-example' | 'none';
  /**
   * `GET /account/balance` with `X-Auth-For: <customer name>`: 'honoured' answers that customer's balance,
   * 'ignored' answers the reseller's own (a header the API does not know), 'rejected' answers 400.
   */
  authForBalance: 'honoured' | 'ignored' | 'rejected';
  /** `GET /account/store` answers a list of store fronts, or only the first as one object. Default 'list'. */
  storeFrontsAs: 'list' | 'object';
  /** The field carrying a store front's id in `GET /account/store`. Default 'uuid'. */
  storeFrontIdField: 'uuid' | 'id';
}

/** Options of `startYaySandbox` (server.ts); every field has a default. */
export interface SandboxOptions {
  /** The only credentials accepted. Default: obvious fakes ({@link DEFAULT_SANDBOX_CREDENTIALS}). */
  credentials?: YayCredentials;
  /** Store fronts `store_front` may name. Default: one, {@link DEFAULT_STORE_FRONT}. */
  storeFronts?: SandboxStoreFront[];
  /** The reseller's starting balance in thousandths. Default 100000 (100.000). */
  resellerBalance?: Millis;
  /**
   * Yay's clock, in epoch milliseconds: what its ledger stamps transfers and history entries with. Default
   * `Date.now`; a test that runs on a clock of its own passes that one, so "since the call" means the same to both.
   */
  now?: () => number;
  /** Port on 127.0.0.1. Default 0: a free port. */
  port?: number;
  /** Entries kept in the request log, oldest dropped first (local mode runs for days). Default 10000. */
  requestLogLimit?: number;
  faults?: SandboxFaults;
  behaviour?: Partial<SandboxBehaviour>;
}

/**
 * What happened to a request instead of a plain answer: a fault the sandbox injected, or (`abandoned`) its
 * caller gone before the answer, the change landing anyway.
 */
export type SandboxFaultKind =
  | 'dropped'
  | 'truncated'
  | 'injected-error'
  | 'error-after-apply'
  | 'balance-unavailable'
  | 'rate-limited'
  | 'forbidden'
  | 'abandoned';

/** One line of the request log. Headers are never logged: they carry the password. */
export interface SandboxRequestLogEntry {
  method: string;
  path: string;
  /**
   * The status decided (also for a dropped answer, which the caller never sees, and for an `error-after-apply`,
   * whose caller hears 500).
   */
  status: number;
  authFor?: string;
  fault?: SandboxFaultKind;
}

/**
 * A snapshot of the sandbox's state; mutating it changes nothing. `faultCounts` counts every fault since the
 * start (the request log keeps only its newest entries), and `delayed` the requests held by `latencyMs`.
 */
export interface SandboxState {
  resellerBalance: Millis;
  customers: SandboxCustomer[];
  transfers: SandboxTransfer[];
  requests: SandboxRequestLogEntry[];
  faultCounts: Partial<Record<SandboxFaultKind | 'delayed', number>>;
}

/** A running sandbox: its URL, its state for assertions, and knobs to change while it runs. */
export interface YaySandbox {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly credentials: YayCredentials;
  readonly storeFronts: readonly SandboxStoreFront[];
  /** A deep copy of customers, transfers, balances and the request log. */
  readonly state: SandboxState;
  /** A copy of `state.faultCounts` alone, cheap enough to poll. */
  readonly faultCounts: SandboxState['faultCounts'];
  /** Replaces every fault (`setFaults({})` clears them); counts of `dropNext`/`truncateNext` restart. */
  setFaults(faults: SandboxFaults): void;
  /** Changes some undocumented-behaviour variants; the rest stay. */
  setBehaviour(behaviour: Partial<SandboxBehaviour>): void;
  /** Sets the reseller's balance, e.g. a top-up. */
  setResellerBalance(balance: Millis): void;
  /**
   * The customer spends `amount` thousandths on calls: its balance goes down, below zero if it must, and the
   * history records it. Returns the new balance. Throws RangeError for an unknown customer or a bad amount.
   */
  spend(uuid: string, amount: Millis): Millis;
  /** Takes a customer off `GET /account/reseller` (active only); its name stays taken. */
  deactivate(uuid: string): void;
  /**
   * Adds a customer as someone outside this product would (the dashboard, another tool): any name Yay allows,
   * spaces included, no store user or address, an optional opening balance. Throws RangeError if the name is taken.
   */
  addCustomer(customer: { name: string; contact_name?: string; balance?: Millis }): SandboxCustomer;
  /** Requests `holdNext` holds right now. */
  readonly held: number;
  /**
   * Lets every held request go on: each is applied, and answered if its caller still listens (a caller
   * gone meanwhile is logged `abandoned`, its change landed, as a real server would do).
   */
  release(): void;
  /** Stops listening and destroys open connections (and answers still waiting on latency). */
  stop(): Promise<void>;
}
