/**
 * The Yay API as the sandbox answers it: which answer each method and path gets from the ledger, under the
 * behaviour switches (types.ts). Faults, authentication and the wire are the server's (server.ts).
 */
import { describeCredit, type Millis } from '../../shared/domain/credit';
import type { SandboxRoute } from './faults';
import type { LedgerAnswer, SandboxCustomer, SandboxLedger, SandboxStoreFront } from './ledger';
import type { SandboxBalanceCommands, SandboxBehaviour } from './types';

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

/** The sandbox's routes over its ledger; `behaviour` is read on each request, so a change applies at once. */
export function yayRoutes(sandbox: {
  ledger: SandboxLedger;
  behaviour: SandboxBehaviour;
  storeFronts: readonly SandboxStoreFront[];
  clock: () => number;
}) {
  const { ledger, behaviour, storeFronts, clock } = sandbox;
  // Balances may be negative (a customer who spent past zero): "-2.500" or -2.5.
  const amount = (millis: Millis): number | string =>
    behaviour.amountsAs === 'string' ? describeCredit(millis) : millis / 1000;

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

  return { route, routeKind, isCustomerBalanceRead };
}
