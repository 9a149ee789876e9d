import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE_FRONT } from '../../../infra/local/yay-sandbox';
import type { Millis } from '../../../shared/domain/credit';
import { checkYay } from '../../../shared/yay/check';
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

  it('reports every probe ok against a sandbox that behaves as documented', async () => {
    await withCustomer();
    const report = await checkYay(yay.client());
    expect(report.ok).toBe(true);
    expect(Object.fromEntries(report.items.map((item) => [item.check, item.outcome]))).toEqual({
      authentication: 'ok',
      'reseller-balance': 'ok',
      'customer-list': 'ok',
      'store-fronts': 'ok',
      'customer-balance-path': 'ok',
      'create-answer': 'unknown',
    });
    expect(report.items.find((item) => item.check === 'customer-balance-path')?.detail).toMatch(
      /balance field/,
    );
    expect(report.items.find((item) => item.check === 'reseller-balance')?.detail).toBe(
      'balance 99.000 sent as a number',
    );
  });

  it('reports amounts sent as strings and the X-Auth-For balance path as they are', async () => {
    yay.sandbox.setBehaviour({ amountsAs: 'string', balanceOnCustomerRecord: false });
    await withCustomer();
    const items = (await checkYay(yay.client())).items;
    expect(items.find((item) => item.check === 'reseller-balance')).toMatchObject({
      outcome: 'variant',
      detail: 'balance 99.000 sent as a string',
    });
    expect(items.find((item) => item.check === 'customer-balance-path')?.detail).toMatch(/X-Auth-For/);
  });

  it('reports the customer balance as unknown when no path answers it', async () => {
    yay.sandbox.setBehaviour({ balanceOnCustomerRecord: false, authForBalance: 'ignored' });
    await withCustomer();
    const items = (await checkYay(yay.client())).items;
    expect(items.find((item) => item.check === 'customer-balance-path')?.outcome).toBe('unknown');
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
