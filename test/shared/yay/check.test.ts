import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE_FRONT, SANDBOX_LISTED_PASSWORD } from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import { checkYay, type YayCheckReport } from '../../../shared/yay/check';
import type { YayClient } from '../../../shared/yay/client';
import { DEFAULT_YAY_SETTINGS } from '../../../shared/yay/settings';
import { exposeError, sampleCustomerInput, useYaySandbox } from '../../helpers/yay-sandbox';

describe('checkYay', () => {
  const yay = useYaySandbox();

  const withCustomer = async (): Promise<void> => {
    const client = yay.client();
    const { uuid } = await client.createCustomer(
      sampleCustomerInput('cchecked', yay.sandbox.storeFronts[0]?.uuid ?? ''),
    );
    await client.transferCredit(uuid ?? '', 1_000 as Millis);
  };

  const item = (report: YayCheckReport, check: string) => report.items.find((found) => found.check === check);

  it('reports every probe ok against a sandbox that behaves as documented', async () => {
    await withCustomer();
    const report = await checkYay(yay.client());
    expect(report.ok).toBe(true);
    expect(Object.fromEntries(report.items.map((found) => [found.check, found.outcome]))).toEqual({
      authentication: 'ok',
      'reseller-balance': 'ok',
      'customer-list': 'ok',
      'store-fronts': 'ok',
      'customer-balance-path': 'ok',
      'balance-history': 'ok',
      'credit-allocation': 'unknown',
      'create-answer': 'unknown',
    });
    expect(item(report, 'customer-balance-path')?.detail).toBe(
      'readable through GET /account/reseller-balance/{uuid} (the first to answer; pin it with ' +
        'yay:customerBalancePath=reseller-balance to skip the others); answering: reseller-balance 1.000, ' +
        'auth-for 1.000; not answering: reseller-uuid-balance, customer-record',
    );
    expect(item(report, 'balance-history')?.detail).toBe(
      'GET /account/reseller-balance/{uuid}/history answered 1 entry, the newest leaving 1.000, the balance now: ' +
        'reconcile reads it as a ledger',
    );
    expect(item(report, 'reseller-balance')?.detail).toBe('balance 99.000 sent as a number');
  });

  it('reports amounts sent as strings and a fallback balance path as variants', async () => {
    yay.sandbox.setBehaviour({ amountsAs: 'string', balanceCommands: 'none' });
    await withCustomer();
    const report = await checkYay(yay.client());
    expect(item(report, 'reseller-balance')).toMatchObject({
      outcome: 'variant',
      detail: 'balance 99.000 sent as a string',
    });
    expect(item(report, 'customer-balance-path')).toMatchObject({
      outcome: 'variant',
      detail: expect.stringMatching(
        /^readable through GET \/account\/balance with X-Auth-For: <customer name> /,
      ),
    });
    expect(item(report, 'balance-history')).toMatchObject({
      outcome: 'unknown',
      detail: expect.stringMatching(
        /^no candidate answered a history: reconcile compares balances; reseller-balance-history refused \(404\)/,
      ),
    });
  });

  it('reports the customer balance as unknown when no path answers it', async () => {
    yay.sandbox.setBehaviour({ balanceCommands: 'none', authForBalance: 'ignored' });
    await withCustomer();
    const report = await checkYay(yay.client());
    expect(item(report, 'customer-balance-path')?.outcome).toBe('unknown');
    expect(report.ok).toBe(true);
  });

  it('reports the pinned balance path, and fails when the pinned one does not answer', async () => {
    await withCustomer();
    const pinned = (customerBalance: 'auth-for' | 'customer-record') =>
      checkYay(yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, customerBalance } }));
    const answering = await pinned('auth-for');
    const silent = await pinned('customer-record');

    expect(item(answering, 'customer-balance-path')).toMatchObject({
      outcome: 'ok',
      detail: expect.stringMatching(
        /^readable through GET \/account\/balance with X-Auth-For: <customer name>, pinned \(yay:customerBalancePath=auth-for\)/,
      ),
    });
    expect(silent.ok).toBe(false);
    expect(item(silent, 'customer-balance-path')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(
        /^pinned \(yay:customerBalancePath=customer-record\): a balance field on GET/,
      ),
    });
  });

  it('reports a history that answers but cannot be read, naming its fields, as a variant', async () => {
    yay.sandbox.setBehaviour({ balanceHistory: 'documented-example' });
    await withCustomer();
    expect(item(await checkYay(yay.client()), 'balance-history')).toEqual({
      check: 'balance-history',
      outcome: 'variant',
      detail:
        'GET /account/reseller-balance/{uuid}/history answered a history that cannot be read exactly (entry 0 has ' +
        'no change field (amount, change)): reconcile compares balances; entry fields: none',
    });
  });

  it('reports the history switched off, or pinned to a path that does not answer', async () => {
    await withCustomer();
    const off = await checkYay(yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, balanceHistory: 'none' } }));
    const elsewhere = await checkYay(
      yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, balanceHistory: 'reseller-uuid-balance-history' } }),
    );
    expect(item(off, 'balance-history')).toMatchObject({
      outcome: 'variant',
      detail: 'switched off (yay:balanceHistoryPath=none): reconcile compares balances',
    });
    expect(elsewhere.ok).toBe(false);
    expect(item(elsewhere, 'balance-history')?.detail).toMatch(
      /^GET \/account\/reseller\/\{uuid\}\/balance\/history \(pinned, yay:balanceHistoryPath=reseller-uuid-balance-history\) does not answer a history/,
    );
  });

  it('fails when the newest history entry leaves another balance than the one read, as a history missing movements would', async () => {
    await withCustomer();
    const client = yay.client();
    // Hand-written: a history that lists the customer's spending but not the credit the reseller moved.
    const partial: YayClient = {
      ...client,
      customerBalanceHistoryFrom: async () => ({
        kind: 'ledger',
        entries: [{ change: -500 as Millis, balance: -500 as Millis, at: '2026-12-06T10:00:00.000Z' }],
      }),
    };
    const report = await checkYay(partial);
    expect(report.ok).toBe(false);
    expect(item(report, 'balance-history')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringContaining(
        'the newest leaving -0.500, but the balance is 1.000: the history may not list every movement',
      ),
    });
  });

  it('names the credit allocation in use and says it is not probed', async () => {
    await withCustomer();
    const guide = await checkYay(yay.client());
    const allocate = await checkYay(
      yay.client({
        settings: { ...DEFAULT_YAY_SETTINGS, creditAllocation: { command: 'allocate', net: 'true' } },
      }),
    );
    expect(item(guide, 'credit-allocation')).toEqual({
      check: 'credit-allocation',
      outcome: 'unknown',
      detail:
        'in use: PUT /account/reseller/{uuid} with {"balance":"<amount>"} (the beginners\' guide\'s example) ' +
        '(yay:creditAllocation=put-balance); not probed: it moves credit irreversibly, and what "net" means is not published',
    });
    expect(item(allocate, 'credit-allocation')?.detail).toMatch(
      /^in use: POST \/account\/reseller-balance\/\{uuid\}\?net=true with /,
    );
  });

  it("never reports a listed user's password, even for a customer created outside this product", async () => {
    yay.sandbox.addCustomer({ name: 'Example Sub Reseller', balance: 500 as Millis });
    await withCustomer();
    const report = await checkYay(yay.client());
    const text = JSON.stringify(report);
    expect(text).not.toContain(SANDBOX_LISTED_PASSWORD);
    expect(text).not.toContain(yay.sandbox.credentials.password);
    expect(item(report, 'customer-balance-path')?.detail).toContain('answering: reseller-balance 0.500');
  });

  it('stops at a failed authentication with one finding that names the error, not the password', async () => {
    yay.sandbox.setFaults({ forbidden: true });
    const report = await checkYay(yay.client());
    expect(report.ok).toBe(false);
    expect(report.items).toEqual([
      { check: 'authentication', outcome: 'failed', detail: expect.stringMatching(/^YayAuthFailed: .*403/) },
    ]);
    expect(exposeError(report)).not.toContain(yay.sandbox.credentials.password);
  });

  describe('with the configured store fronts', () => {
    const SECOND = { uuid: '5a4d0000-0000-4000-8000-0000000000b2', name: 'Second shop' };
    const MISSING = '5a4d0000-0000-4000-8000-00000000dead';
    const yay2 = useYaySandbox({ storeFronts: [DEFAULT_STORE_FRONT, SECOND] });
    const itemsFor = async (stores: Record<string, string>, defaultFront = DEFAULT_STORE_FRONT.uuid) => {
      const report = await checkYay(yay2.client(), { storeFronts: { default: defaultFront, stores } });
      return { ok: report.ok, byCheck: new Map(report.items.map((item) => [item.check, item])) };
    };

    it("lists the account's store fronts by uuid and name", async () => {
      const { byCheck } = await itemsFor({});
      expect(byCheck.get('store-fronts')).toEqual({
        check: 'store-fronts',
        outcome: 'ok',
        detail: `2 store front(s): ${DEFAULT_STORE_FRONT.uuid} "Sandbox store", ${SECOND.uuid} "Second shop"; fields: name, uuid`,
      });
    });

    it('flags a store front the account lacks as failed, naming the store and its context key', async () => {
      const { ok, byCheck } = await itemsFor({
        'shop-a.myshopify.com': MISSING,
        'shop-b.myshopify.com': SECOND.uuid,
      });
      expect(ok).toBe(false);
      expect(byCheck.get('store-front shop-a.myshopify.com')).toEqual({
        check: 'store-front shop-a.myshopify.com',
        outcome: 'failed',
        detail: `${MISSING}, store shop-a.myshopify.com's store front (context provisioning:stores.shop-a.myshopify.com.storeFront), is not among the account's store fronts: creates under it will be refused`,
      });
      expect(byCheck.get('store-front shop-b.myshopify.com')).toMatchObject({
        outcome: 'ok',
        detail: expect.stringContaining(`${SECOND.uuid} "Second shop"`),
      });
      expect(byCheck.get('store-front yay:storeFront')?.outcome).toBe('ok');
    });

    it('flags a missing default store front, naming yay:storeFront', async () => {
      const { ok, byCheck } = await itemsFor({}, MISSING);
      expect(ok).toBe(false);
      expect(byCheck.get('store-front yay:storeFront')).toMatchObject({
        outcome: 'failed',
        detail: expect.stringContaining(`${MISSING}, the default store front (context yay:storeFront`),
      });
    });

    it('finds store fronts answered with an id field, or as one object instead of a list', async () => {
      yay2.sandbox.setBehaviour({ storeFrontIdField: 'id' });
      const byId = await itemsFor({ 'shop-b.myshopify.com': SECOND.uuid });
      yay2.sandbox.setBehaviour({ storeFrontIdField: 'uuid', storeFrontsAs: 'object' });
      const single = await itemsFor({ 'shop-b.myshopify.com': SECOND.uuid });

      expect(byId.ok).toBe(true);
      expect(byId.byCheck.get('store-fronts')?.detail).toContain('fields: id, name');
      expect(single.byCheck.get('store-fronts')?.detail).toMatch(
        /^1 store front\(s\): 5a4d0000-0000-4000-8000-00000000f001 /,
      );
      expect(single.byCheck.get('store-front yay:storeFront')?.outcome).toBe('ok');
      expect(single.byCheck.get('store-front shop-b.myshopify.com')?.outcome).toBe('failed');
    });

    it('checks no configured store front when the list itself cannot be read', async () => {
      // No sandbox fault targets this one route; the client's own listStoreFronts is swapped for a failing one.
      const report = await checkYay(
        { ...yay2.client(), listStoreFronts: () => Promise.reject(new Error('unexpected body')) },
        { storeFronts: { default: MISSING, stores: {} } },
      );
      expect(report.items.find((item) => item.check === 'store-fronts')?.outcome).toBe('failed');
      expect(report.items.some((item) => item.check.startsWith('store-front '))).toBe(false);
    });
  });

  it('creates nothing and moves no credit', async () => {
    await withCustomer();
    const before = yay.sandbox.state;
    await checkYay(yay.client());
    const after = yay.sandbox.state;
    expect(after.customers).toEqual(before.customers);
    expect(after.transfers).toEqual(before.transfers);
    expect(after.requests.slice(before.requests.length).every((entry) => entry.method === 'GET')).toBe(true);
  });
});
