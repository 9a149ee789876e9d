import { describeCredit, type Millis } from '../domain/credit';
import { type ConfiguredStoreFronts, StoreFrontContextKeys } from '../store-fronts';
import type { HistoryProbe, YayClient } from './client';
import { describeCreditAllocation } from './credit-allocation';
import {
  BALANCE_HISTORY_SOURCES,
  type BalanceHistorySource,
  BalanceHistorySources,
  CUSTOMER_BALANCE_SOURCES,
  type CustomerBalanceSource,
  CustomerBalanceSources,
  YaySettingContextKeys,
} from './settings';

/** One finding of {@link checkYay}. */
export interface YayCheckItem {
  /** Short id, e.g. `authentication`, `customer-balance-path`. */
  check: string;
  /**
   * `ok`: works as the code expects. `variant`: works, through a tolerated variant worth knowing.
   * `unknown`: cannot be decided read-only. `failed`: the call failed (detail names the error).
   */
  outcome: 'ok' | 'variant' | 'unknown' | 'failed';
  detail: string;
}

/** What {@link checkYay} checks besides the API itself. */
export interface YayCheckOptions {
  /**
   * The store fronts the deployment puts new customers under (the stack's `StoreFronts` output, local mode's
   * runtime.json): each must be one of the account's, else every create under it is refused.
   */
  storeFronts?: ConfiguredStoreFronts;
}

export interface YayCheckReport {
  /** False when any item failed. */
  ok: boolean;
  items: YayCheckItem[];
}

/**
 * Read-only probe of the undocumented parts of the Yay API (shared/yay/README.md) for `ops yay-check`:
 * credentials and allow-list, how amounts come back, the list and store front shapes, which candidate paths
 * answer one customer's balance and its history (and which one the client's settings use), and the credit
 * allocation in use; given the configured store fronts, whether each is one of the account's (a create under any
 * other is refused). It never creates a customer or moves credit, so it is safe against production; the create
 * answer, the duplicate-name error and the allocation stay "unknown" here.
 * Each finding names fields and types, never the credentials and never a listed user's password.
 */
export async function checkYay(client: YayClient, options: YayCheckOptions = {}): Promise<YayCheckReport> {
  const items: YayCheckItem[] = [];
  const attempt = async (check: string, probe: () => Promise<Omit<YayCheckItem, 'check'>>): Promise<void> => {
    try {
      items.push({ check, ...(await probe()) });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      items.push({ check, outcome: 'failed', detail: `${name}: ${message}` });
    }
  };

  await attempt('authentication', async () => {
    await client.checkAuthentication();
    return { outcome: 'ok', detail: 'GET /authenticated accepted the credentials' };
  });
  // Every other probe would fail the same way; one clear finding is more useful than five.
  if (items[0]?.outcome === 'failed') return { ok: false, items };

  await attempt('reseller-balance', async () => {
    const { result } = await client.request('GET', '/account/balance');
    const raw = (result as { balance?: unknown } | undefined)?.balance;
    const balance = await client.resellerBalance();
    return {
      outcome: typeof raw === 'number' ? 'ok' : 'variant',
      detail: `balance ${describeCredit(balance)} sent as a ${typeof raw}`,
    };
  });

  let firstCustomer: { uuid: string; name: string } | undefined;
  await attempt('customer-list', async () => {
    const { result } = await client.request('GET', '/account/reseller');
    const customers = await client.listCustomers();
    firstCustomer = customers[0];
    const first = Array.isArray(result) ? (result[0] as Record<string, unknown> | undefined) : undefined;
    const fields = first ? Object.keys(first).sort().join(', ') : 'none (empty list)';
    return { outcome: 'ok', detail: `${customers.length} customer(s); fields: ${fields}` };
  });

  let accountFronts: AccountStoreFront[] | undefined;
  await attempt('store-fronts', async () => {
    const fronts = await client.listStoreFronts();
    accountFronts = fronts.map(describeStoreFront);
    const fields = fronts[0] ? Object.keys(fronts[0]).sort().join(', ') : 'none';
    const unnamed = accountFronts.filter((front) => front.id === undefined).length;
    const listed = accountFronts
      .map((front) => `${front.id ?? '(no uuid or id)'}${front.name ? ` "${front.name}"` : ''}`)
      .join(', ');
    return {
      outcome: fronts.length > 0 && unnamed === 0 ? 'ok' : 'variant',
      detail:
        `${fronts.length} store front(s)${listed ? `: ${listed}` : ''}; fields: ${fields}` +
        (unnamed > 0 ? `; ${unnamed} without a uuid or id field` : ''),
    };
  });
  // Only when the list was read: otherwise "missing" would be a guess, and the failure above says why.
  if (accountFronts && options.storeFronts)
    items.push(...checkStoreFronts(options.storeFronts, accountFronts));

  let currentBalance: Millis | undefined;
  await attempt('customer-balance-path', async () => {
    if (!firstCustomer) {
      return { outcome: 'unknown', detail: 'no customer exists to read a balance from' };
    }
    const customer = firstCustomer;
    const answers = new Map<CustomerBalanceSource, Millis>();
    for (const source of CUSTOMER_BALANCE_SOURCES) {
      const balance = await client.customerBalanceFrom(source, customer);
      if (balance !== undefined) answers.set(source, balance);
    }
    const setting = client.settings.customerBalance;
    const inUse =
      setting === 'auto' ? CUSTOMER_BALANCE_SOURCES.find((source) => answers.has(source)) : setting;
    currentBalance = inUse === undefined ? undefined : answers.get(inUse);
    const answered = [...answers]
      .map(([source, balance]) => `${source} ${describeCredit(balance)}`)
      .join(', ');
    const silent = CUSTOMER_BALANCE_SOURCES.filter((source) => !answers.has(source)).join(', ');
    const seen = `answering: ${answered || 'none'}; not answering: ${silent || 'none'}`;
    const key = YaySettingContextKeys.customerBalance;
    if (setting !== 'auto') {
      return answers.has(setting)
        ? {
            outcome: 'ok',
            detail: `readable through ${CustomerBalanceSources[setting]}, pinned (${key}=${setting}); ${seen}`,
          }
        : {
            outcome: 'failed',
            detail: `pinned (${key}=${setting}): ${CustomerBalanceSources[setting]} does not answer, so no balance can be read; ${seen}`,
          };
    }
    if (inUse === undefined) {
      return {
        outcome: 'unknown',
        detail: `no candidate answered a customer balance: unknown transfers go to review unless the history answers; ${seen}`,
      };
    }
    const disagree = new Set(answers.values()).size > 1 ? '; the candidates disagree: pin the right one' : '';
    return {
      // The first two candidates are the documented command; the others are older guesses, kept as fallbacks.
      outcome: CUSTOMER_BALANCE_SOURCES.indexOf(inUse) < 2 && !disagree ? 'ok' : 'variant',
      detail:
        `readable through ${CustomerBalanceSources[inUse]} (the first to answer; pin it with ${key}=${inUse} to skip the others)` +
        `; ${seen}${disagree}`,
    };
  });

  await attempt('balance-history', async () => {
    const key = YaySettingContextKeys.balanceHistory;
    const setting = client.settings.balanceHistory;
    if (setting === 'none') {
      return { outcome: 'variant', detail: `switched off (${key}=none): reconcile compares balances` };
    }
    if (!firstCustomer) return { outcome: 'unknown', detail: 'no customer exists to read a history from' };
    const customer = firstCustomer;
    const probes = new Map<BalanceHistorySource, HistoryProbe>();
    for (const source of BALANCE_HISTORY_SOURCES)
      probes.set(source, await client.customerBalanceHistoryFrom(source, customer));
    const seen = [...probes].map(([source, probe]) => `${source} ${describeProbe(probe)}`).join('; ');
    const inUse =
      setting === 'auto'
        ? BALANCE_HISTORY_SOURCES.find(
            (source) =>
              probes.get(source)?.kind !== 'notAnswered' && probes.get(source)?.kind !== 'notHistory',
          )
        : setting;
    const probe = inUse === undefined ? undefined : probes.get(inUse);
    const where =
      inUse === undefined
        ? ''
        : `${BalanceHistorySources[inUse]}${setting === 'auto' ? '' : ` (pinned, ${key}=${setting})`}`;
    if (!probe || probe.kind === 'notAnswered' || probe.kind === 'notHistory') {
      return setting === 'auto'
        ? {
            outcome: 'unknown',
            detail: `no candidate answered a history: reconcile compares balances; ${seen}`,
          }
        : { outcome: 'failed', detail: `${where} does not answer a history; ${seen}` };
    }
    if (probe.kind === 'unreadable') {
      return {
        outcome: 'variant',
        detail: `${where} answered a history that cannot be read exactly (${probe.reason}): reconcile compares balances; entry fields: ${probe.fields.join(', ') || 'none'}`,
      };
    }
    const newest = probe.entries.at(-1);
    const count = `${probe.entries.length} entr${probe.entries.length === 1 ? 'y' : 'ies'}`;
    if (!newest) {
      return {
        outcome: 'variant',
        detail: `${where} answered an empty history for ${customer.name}: whether it lists allocations is not shown`,
      };
    }
    if (newest.balance === undefined || currentBalance === undefined) {
      return {
        outcome: 'variant',
        detail: `${where} answered ${count}; no balance to check them against, so whether it lists every movement is not shown`,
      };
    }
    if (newest.balance !== currentBalance) {
      return {
        outcome: 'failed',
        detail:
          `${where} answered ${count}, the newest leaving ${describeCredit(newest.balance)}, but the balance is ` +
          `${describeCredit(currentBalance)}: the history may not list every movement, and reconcile would trust it; ` +
          `set ${key}=none until this is understood (or rerun: the customer may have spent meanwhile)`,
      };
    }
    return {
      outcome: 'ok',
      detail: `${where} answered ${count}, the newest leaving ${describeCredit(newest.balance)}, the balance now: reconcile reads it as a ledger`,
    };
  });

  const allocation = client.settings.creditAllocation;
  items.push({
    check: 'credit-allocation',
    outcome: 'unknown',
    detail:
      `in use: ${describeCreditAllocation(allocation)} (${YaySettingContextKeys.creditAllocation}=${allocation.command}); ` +
      'not probed: it moves credit irreversibly, and what "net" means is not published',
  });

  items.push({
    check: 'create-answer',
    outcome: 'unknown',
    detail:
      'the create answer (uuid or not) and the duplicate-name error are only observable by creating a customer; both variants are tolerated',
  });

  return { ok: items.every((item) => item.outcome !== 'failed'), items };
}

function describeProbe(probe: HistoryProbe): string {
  switch (probe.kind) {
    case 'notAnswered':
      return `refused (${probe.status})`;
    case 'notHistory':
      return 'answered no array';
    case 'unreadable':
      return 'answered, unreadable';
    case 'ledger':
      return `answered ${probe.entries.length} readable entr${probe.entries.length === 1 ? 'y' : 'ies'}`;
  }
}

/** One store front of `GET /account/store`, whose shape is undocumented: `uuid`, else `id`; `name` if any. */
interface AccountStoreFront {
  id: string | undefined;
  name: string | undefined;
}

function describeStoreFront(front: Record<string, unknown>): AccountStoreFront {
  const id = [front.uuid, front.id].find((value) => typeof value === 'string' || typeof value === 'number');
  return {
    id: id === undefined ? undefined : String(id),
    name: typeof front.name === 'string' && front.name !== '' ? front.name : undefined,
  };
}

/**
 * One finding per configured store front, the default first: `ok` naming the account's store front, or
 * `failed` naming the store and the context key to correct (Yay refuses a create under an unknown one).
 */
function checkStoreFronts(configured: ConfiguredStoreFronts, account: AccountStoreFront[]): YayCheckItem[] {
  const byId = new Map(account.flatMap((front) => (front.id ? [[front.id.toLowerCase(), front]] : [])));
  const keys = StoreFrontContextKeys;
  const wanted = [
    {
      check: `store-front ${keys.default}`,
      uuid: configured.default,
      key: keys.default,
      who: `the default store front (context ${keys.default}, for every store without its own)`,
    },
    ...Object.entries(configured.stores).map(([store, uuid]) => ({
      check: `store-front ${store}`,
      uuid,
      key: `${keys.stores}.${store}.storeFront`,
      who: `store ${store}'s store front (context ${keys.stores}.${store}.storeFront)`,
    })),
  ];
  return wanted.map(({ check, uuid, key, who }): YayCheckItem => {
    const found = byId.get(uuid.toLowerCase());
    return found
      ? { check, outcome: 'ok', detail: `${uuid}${found.name ? ` "${found.name}"` : ''} (context ${key})` }
      : {
          check,
          outcome: 'failed',
          detail: `${uuid}, ${who}, is not among the account's store fronts: creates under it will be refused`,
        };
  });
}
