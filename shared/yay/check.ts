import { describeCredit } from '../domain/credit';
import { YayRejected } from '../errors';
import { type ConfiguredStoreFronts, StoreFrontContextKeys } from '../store-fronts';
import type { YayClient } from './client';

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
 * Read-only probe of the undocumented parts of the Yay API (YAY_API.md "Unknowns") for `ops yay-check`:
 * credentials and allow-list, how amounts come back, the list and store front shapes, and which path
 * (if any) answers one customer's balance; given the configured store fronts, whether each is one of the
 * account's (a create under any other is refused). It never creates a customer or moves credit, so it is safe
 * against production; the create answer and the duplicate-name error stay "unknown" here.
 * Each finding names fields and types, never the credentials.
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

  await attempt('customer-balance-path', async () => {
    if (!firstCustomer) {
      return { outcome: 'unknown', detail: 'no customer exists to read a balance from' };
    }
    const customer = firstCustomer;
    const paths: string[] = [];
    try {
      const { result } = await client.request(
        'GET',
        `/account/reseller/${encodeURIComponent(customer.uuid)}`,
      );
      if ((result as { balance?: unknown } | undefined)?.balance !== undefined) {
        paths.push('balance field on GET /account/reseller/{uuid}');
      }
    } catch (error) {
      if (!(error instanceof YayRejected)) throw error;
    }
    const balance = await client.customerBalance(customer);
    if (balance === undefined) {
      return {
        outcome: 'unknown',
        detail: 'no path answered a customer balance: unknown transfers will go to review',
      };
    }
    if (paths.length === 0) paths.push('GET /account/balance with X-Auth-For');
    return { outcome: 'ok', detail: `readable through ${paths.join('; ')}` };
  });

  items.push({
    check: 'create-answer',
    outcome: 'unknown',
    detail:
      'the create answer (uuid or not) and the duplicate-name error are only observable by creating a customer; both variants are tolerated',
  });

  return { ok: items.every((item) => item.outcome !== 'failed'), items };
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
