import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Millis } from '../../shared/domain/credit';
import { listenLoopback } from '../listen';
import { DEFAULT_BEHAVIOUR, DEFAULT_SANDBOX_CREDENTIALS, DEFAULT_STORE_FRONT } from './defaults';
import { Interruption, type SandboxFaults, seededRandom, validateFaults } from './faults';
import { type LedgerAnswer, SandboxLedger } from './ledger';
import { yayRoutes } from './routes';
import type {
  SandboxBehaviour,
  SandboxFaultKind,
  SandboxOptions,
  SandboxRequestLogEntry,
  SandboxState,
  YaySandbox,
} from './types';

export { type SandboxAdmin, startSandboxAdmin } from './admin';
export { DEFAULT_SANDBOX_CREDENTIALS, DEFAULT_STORE_FRONT } from './defaults';
export type { InterruptSpec, SandboxFaults, SandboxRoute } from './faults';
export {
  SANDBOX_LISTED_PASSWORD,
  type SandboxBalanceEntry,
  type SandboxCustomer,
  type SandboxStoreFront,
  type SandboxTransfer,
  type SandboxUser,
} from './ledger';
export type * from './types';

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

  const { route, routeKind, isCustomerBalanceRead } = yayRoutes({ ledger, behaviour, storeFronts, clock });

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
