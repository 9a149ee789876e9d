import { describe, expect, it } from 'vitest';
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
