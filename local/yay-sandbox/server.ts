import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeCredit, type Millis } from '../../shared/domain/credit';
import type { YayCredentials } from '../../shared/secrets';
import { listenLoopback } from '../aws/aws-json';
import { Interruption, type SandboxFaults, type SandboxRoute, seededRandom, validateFaults } from './faults';
import {
  type LedgerAnswer,
  type SandboxCustomer,
  SandboxLedger,
  type SandboxStoreFront,
  type SandboxTransfer,
} from './ledger';

export { type SandboxAdmin, startSandboxAdmin } from './admin';
export type { InterruptSpec, SandboxFaults, SandboxRoute } from './faults';
export {
  SANDBOX_LISTED_PASSWORD,
  type SandboxBalanceEntry,
  type SandboxCustomer,
  type SandboxStoreFront,
  type SandboxTransfer,
  type SandboxUser,
} from './ledger';

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

/** Options of {@link startYaySandbox}; every field has a default. */
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

/** The credentials a sandbox accepts unless given others: obvious fakes. */
export const DEFAULT_SANDBOX_CREDENTIALS: YayCredentials = Object.freeze({
  reseller: 'sandbox-reseller',
  user: 'sandbox-user',
  password: 'test-only-not-a-secret',
});

/** The one store front a sandbox knows unless given others. */
export const DEFAULT_STORE_FRONT: SandboxStoreFront = Object.freeze({
  uuid: '5a4d0000-0000-4000-8000-00000000f001',
  name: 'Sandbox store',
});

const DEFAULT_BEHAVIOUR: SandboxBehaviour = {
  omitUuidOnCreate: false,
  amountsAs: 'number',
  statusInEnvelopeOnly: false,
  balanceOnCustomerRecord: false,
  balanceCommands: 'reseller-balance',
  balanceHistory: 'ledger',
  authForBalance: 'honoured',
  storeFrontsAs: 'list',
  storeFrontIdField: 'uuid',
};

const MAX_BODY_BYTES = 1_000_000;

const STATUS_MESSAGES: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const CUSTOMER_PATH = /^\/account\/reseller\/([^/]+)$/;

/** The balance commands' paths in each family the sandbox can serve them at. */
const BALANCE_PATHS: Record<Exclude<SandboxBalanceCommands, 'none'>, { balance: RegExp; history: RegExp }> = {
  'reseller-balance': {
    balance: /^\/account\/reseller-balance\/([^/]+)$/,
    history: /^\/account\/reseller-balance\/([^/]+)\/history$/,
  },
  'reseller-uuid': {
    balance: /^\/account\/reseller\/([^/]+)\/balance$/,
    history: /^\/account\/reseller\/([^/]+)\/balance\/history$/,
  },
};

/** The uuid a path matched, or undefined when the path does not match or its escape is broken. */
function uuidIn(pattern: RegExp, path: string): string | undefined {
  const raw = pattern.exec(path)?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Starts a stateful, in-process Yay API stand-in on 127.0.0.1 for tests and local mode. It answers as the
 * vendor documents (auth headers, envelope, customers, store fronts, balances and their history, credit
 * moves; shared/yay/README.md says which paths are guessed) and injects
 * faults on demand: latency, 5xx, 429 above a concurrency limit, lost, truncated or 500 answers after
 * the change was applied, and customer-balance reads down for a while — the cases an exactly-once protocol
 * has to survive.
 * Test and local tooling only: nothing under functions/ or shared/ imports it.
 */
export async function startYaySandbox(options: SandboxOptions = {}): Promise<YaySandbox> {
  const credentials = options.credentials ?? DEFAULT_SANDBOX_CREDENTIALS;
  const storeFronts = (options.storeFronts ?? [DEFAULT_STORE_FRONT]).map((front) => ({ ...front }));
  const ledger = new SandboxLedger(storeFronts, options.resellerBalance ?? (100_000 as Millis));
  const clock = options.now ?? Date.now;
  const behaviour: SandboxBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const requests: SandboxRequestLogEntry[] = [];
  const requestLogLimit = options.requestLogLimit ?? 10_000;
  const drop = new Interruption();
  const truncate = new Interruption();
  const hold = new Interruption();
  const errorAfterApply = new Interruption();
  const held = new Set<() => void>();
  const faultCounts: SandboxState['faultCounts'] = {};
  const count = (kind: SandboxFaultKind | 'delayed'): void => {
    faultCounts[kind] = (faultCounts[kind] ?? 0) + 1;
  };
  /** Until when (epoch ms) customer-balance reads answer 503. */
  let balanceDownUntil = 0;
  const pendingTimers = new Set<NodeJS.Timeout>();
  let faults: SandboxFaults = {};
  let random: () => number = Math.random;
  let inFlight = 0;

  const setFaults = (next: SandboxFaults): void => {
    validateFaults(next);
    faults = { ...next };
    random = next.errorSeed === undefined ? Math.random : seededRandom(next.errorSeed);
    drop.set(next.dropNext);
    truncate.set(next.truncateNext);
    hold.set(next.holdNext);
    errorAfterApply.set(next.errorAfterApplyNext);
    balanceDownUntil = next.balanceUnavailableForMs ? Date.now() + next.balanceUnavailableForMs : 0;
  };
  setFaults(options.faults ?? {});

  // Balances may be negative (a customer who spent past zero): "-2.500" or -2.5.
  const amount = (millis: Millis): number | string =>
    behaviour.amountsAs === 'string' ? describeCredit(millis) : millis / 1000;

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, ms);
      pendingTimers.add(timer);
    });

  const authorised = (req: IncomingMessage): boolean =>
    sameText(req.headers['x-auth-reseller'], credentials.reseller) &&
    sameText(req.headers['x-auth-user'], credentials.user) &&
    sameText(req.headers['x-auth-password'], credentials.password);

  /** The history command's answer: each movement, oldest first, in the sandbox's hand-written entry shape. */
  const historyOf = (customer: SandboxCustomer): unknown[] =>
    behaviour.balanceHistory === 'documented-example'
      ? [{}]
      : customer.history.map((entry, index) => ({
          uuid: `${customer.uuid.slice(0, 24)}${String(index).padStart(12, '0')}`,
          amount: amount(entry.change),
          balance: amount(entry.balance),
          created_on: new Date(entry.at).toISOString(),
        }));

  /** The balance commands at the configured family: a balance, a history, or an allocation. */
  const balanceCommand = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
  ): LedgerAnswer | undefined => {
    if (behaviour.balanceCommands === 'none') return undefined;
    const paths = BALANCE_PATHS[behaviour.balanceCommands];
    const balanceOf = uuidIn(paths.balance, path);
    const historyFor = uuidIn(paths.history, path);
    if (method === 'GET' && balanceOf !== undefined) {
      const customer = ledger.byUuid(balanceOf);
      return customer
        ? { status: 200, result: { balance: amount(customer.balance) } }
        : { status: 404, result: {} };
    }
    if (method === 'GET' && historyFor !== undefined && behaviour.balanceHistory !== 'none') {
      const customer = ledger.byUuid(historyFor);
      return customer ? { status: 200, result: historyOf(customer) } : { status: 404, result: {} };
    }
    if (method === 'POST' && balanceOf !== undefined) {
      // The allocation command: `net` is required (the reference says so, and nothing more about it).
      if (!query.get('net')) return { status: 400, result: {} };
      return ledger.transfer(balanceOf, body, clock());
    }
    return undefined;
  };

  const route = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    authFor: string | undefined,
  ): LedgerAnswer => {
    if (method === 'GET' && path === '/authenticated') return { status: 200, result: {} };
    if (method === 'GET' && path === '/account/store') {
      const fronts = storeFronts.map(({ uuid, name }) =>
        behaviour.storeFrontIdField === 'id' ? { id: uuid, name } : { uuid, name },
      );
      return { status: 200, result: behaviour.storeFrontsAs === 'object' ? (fronts[0] ?? {}) : fronts };
    }
    if (method === 'GET' && path === '/account/reseller') {
      // Active customers only, as the reference says of this list.
      return { status: 200, result: ledger.active.map((customer) => ledger.publicView(customer)) };
    }
    if (method === 'POST' && path === '/account/reseller') {
      const answer = ledger.create(body);
      if (answer.status === 201 && behaviour.omitUuidOnCreate) {
        const { uuid: _omitted, ...rest } = answer.result as Record<string, unknown>;
        return { status: 201, result: rest };
      }
      return { status: answer.status, result: answer.result };
    }
    if (method === 'GET' && path === '/account/balance') {
      if (authFor === undefined || behaviour.authForBalance === 'ignored') {
        return { status: 200, result: { balance: amount(ledger.resellerBalance) } };
      }
      if (behaviour.authForBalance === 'rejected') return { status: 400, result: {} };
      const customer = ledger.byName(authFor);
      if (!customer) return { status: 404, result: {} };
      return { status: 200, result: { balance: amount(customer.balance) } };
    }
    const command = balanceCommand(method, path, query, body);
    if (command) return command;
    const match = CUSTOMER_PATH.exec(path);
    if (match?.[1]) {
      let uuid: string;
      try {
        uuid = decodeURIComponent(match[1]);
      } catch {
        return { status: 404, result: {} };
      }
      if (method === 'GET') {
        const customer = ledger.byUuid(uuid);
        if (!customer) return { status: 404, result: {} };
        const view = ledger.publicView(customer);
        return {
          status: 200,
          result: behaviour.balanceOnCustomerRecord ? { ...view, balance: amount(customer.balance) } : view,
        };
      }
      if (method === 'PUT') {
        const answer = ledger.transfer(uuid, body, clock());
        if (answer.status === 200 && answer.result && typeof answer.result === 'object') {
          const customer = ledger.byUuid(uuid);
          return {
            status: 200,
            result: { ...(answer.result as object), balance: amount(customer?.balance ?? (0 as Millis)) },
          };
        }
        return answer;
      }
    }
    return { status: 404, result: {} };
  };

  const routeKind = (method: string, path: string): SandboxRoute | undefined => {
    if (method === 'POST' && path === '/account/reseller') return 'create';
    if (method === 'PUT' && CUSTOMER_PATH.test(path)) return 'transfer';
    if (method === 'POST' && Object.values(BALANCE_PATHS).some((paths) => paths.balance.test(path)))
      return 'transfer';
    return undefined;
  };

  /** The reads that show one customer's balance or its history (not the reseller's own). */
  const isCustomerBalanceRead = (method: string, path: string, authFor: string | undefined): boolean =>
    method === 'GET' &&
    (CUSTOMER_PATH.test(path) ||
      Object.values(BALANCE_PATHS).some((paths) => paths.balance.test(path) || paths.history.test(path)) ||
      (path === '/account/balance' && authFor !== undefined));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
    });
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    const authForHeader = req.headers['x-auth-for'];
    const authFor = typeof authForHeader === 'string' && authForHeader !== '' ? authForHeader : undefined;
    const entry: SandboxRequestLogEntry = { method, path, status: 0, ...(authFor ? { authFor } : {}) };
    requests.push(entry);
    if (requests.length > requestLogLimit) requests.splice(0, requests.length - requestLogLimit);

    const send = (answer: LedgerAnswer): void => {
      entry.status = answer.status;
      const httpStatus = behaviour.statusInEnvelopeOnly ? 200 : answer.status;
      const payload = JSON.stringify({
        result: answer.result,
        status_code: answer.status,
        status_message: STATUS_MESSAGES[answer.status] ?? 'Error',
      });
      res.writeHead(httpStatus, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    };

    // Checked on arrival, so requests held by latency count as in flight, as they would upstream.
    const inject = (kind: SandboxFaultKind): void => {
      entry.fault = kind;
      count(kind);
    };

    if (faults.maxConcurrent !== undefined && inFlight > faults.maxConcurrent) {
      inject('rate-limited');
      req.resume();
      send({ status: 429, result: {} });
      return;
    }

    const raw = await readBody(req);
    if (faults.latencyMs) {
      count('delayed');
      await wait(faults.latencyMs);
    }
    if (hold.take(routeKind(method, path))) await new Promise<void>((resolve) => held.add(resolve));
    if (raw === undefined) return send({ status: 413, result: {} });
    if (faults.errorRate && random() < faults.errorRate) {
      inject('injected-error');
      return send({ status: 500, result: {} });
    }
    if (faults.forbidden) {
      inject('forbidden');
      return send({ status: 403, result: {} });
    }
    if (!authorised(req)) return send({ status: 401, result: {} });
    if (isCustomerBalanceRead(method, path, authFor) && Date.now() < balanceDownUntil) {
      inject('balance-unavailable');
      return send({ status: 503, result: {} });
    }

    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send({ status: 400, result: {} });
      }
    }
    const answer = route(method, path, url.searchParams, body, authFor);
    if (res.destroyed) {
      // The caller gave up (timeout) while the latency ran; like a real server, the change still lands.
      entry.status = answer.status;
      inject('abandoned');
      return;
    }
    const kind = routeKind(method, path);
    if (drop.take(kind)) {
      // The change is applied; the caller never hears about it.
      entry.status = answer.status;
      inject('dropped');
      req.socket.destroy();
      return;
    }
    if (truncate.take(kind)) {
      entry.status = answer.status;
      inject('truncated');
      const payload = Buffer.from(
        JSON.stringify({ result: answer.result, status_code: answer.status, status_message: 'OK' }),
      );
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': payload.length });
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => req.socket.destroy());
      return;
    }
    if (errorAfterApply.take(kind)) {
      // The change is applied; the caller hears that it failed.
      inject('error-after-apply');
      send({ status: 500, result: {} });
      entry.status = answer.status;
      return;
    }
    send(answer);
  };

  const server = await listenLoopback(
    (req, res) =>
      handle(req, res).catch(() => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ result: {}, status_code: 500, status_message: 'Internal Server Error' }));
        } else {
          res.destroy();
        }
      }),
    options.port ?? 0,
  );

  return {
    url: server.url,
    credentials,
    storeFronts,
    get state(): SandboxState {
      return structuredClone({
        resellerBalance: ledger.resellerBalance,
        customers: ledger.customers,
        transfers: ledger.transfers,
        requests,
        faultCounts,
      });
    },
    get faultCounts() {
      return { ...faultCounts };
    },
    setFaults,
    setBehaviour(next) {
      Object.assign(behaviour, next);
    },
    setResellerBalance(balance) {
      if (!Number.isSafeInteger(balance) || balance < 0) {
        throw new RangeError(`sandbox reseller balance must be non-negative integer millis, got ${balance}`);
      }
      ledger.resellerBalance = balance;
    },
    spend: (uuid, spent) => ledger.spend(uuid, spent, clock()),
    deactivate: (uuid) => ledger.deactivate(uuid),
    addCustomer: (customer) => structuredClone(ledger.addCustomer(customer)),
    get held() {
      return held.size;
    },
    release() {
      const waiting = [...held];
      held.clear();
      for (const resume of waiting) resume();
    },
    stop: () => {
      // Answers still waiting on latency or a hold are never applied: the server is gone.
      for (const timer of pendingTimers) clearTimeout(timer);
      pendingTimers.clear();
      held.clear();
      return server.close();
    },
  };
}

/** Reads the body, or `undefined` when it is larger than the sandbox accepts. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

/** Compares a header with the expected credential in constant time once the lengths match. */
function sameText(actual: string | string[] | undefined, expected: string): boolean {
  if (typeof actual !== 'string') return false;
  const a = Buffer.from(actual);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
