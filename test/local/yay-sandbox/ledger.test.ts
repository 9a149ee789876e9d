import { describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import { AUTH, sandboxSuite } from './support';

describe('balances and transfers, as the sandbox keeps them', () => {
  const { start, call, createCustomer } = sandboxSuite();

  describe('the balance commands', () => {
    it("answers one customer's balance at /account/reseller-balance/{uuid} by default, as the reference shows it", async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'cbalance');
      await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '3.000' });
      await expect(call(sandbox, 'GET', `/account/reseller-balance/${uuid}`)).resolves.toEqual({
        http: 200,
        body: { result: { balance: 3 }, status_code: 200, status_message: 'OK' },
      });
      await expect(call(sandbox, 'GET', '/account/reseller-balance/unknown')).resolves.toEqual({
        http: 404,
        body: { result: {}, status_code: 404, status_message: 'Not Found' },
      });
      expect((await call(sandbox, 'GET', `/account/reseller/${uuid}/balance`)).http).toBe(404);
    });

    it('answers the balance commands under /account/reseller/{uuid}/balance instead, or nowhere, when configured', async () => {
      const sandbox = await start({ behaviour: { balanceCommands: 'reseller-uuid' } });
      const uuid = await createCustomer(sandbox, 'cbeneath');
      const balance = await call(sandbox, 'GET', `/account/reseller/${uuid}/balance`);
      const history = await call(sandbox, 'GET', `/account/reseller/${uuid}/balance/history`);
      const first = await call(sandbox, 'GET', `/account/reseller-balance/${uuid}`);
      sandbox.setBehaviour({ balanceCommands: 'none' });
      const none = await call(sandbox, 'GET', `/account/reseller/${uuid}/balance`);

      expect([balance.http, history.http, first.http, none.http]).toEqual([200, 200, 404, 404]);
      expect(history.body.result).toEqual([]);
    });

    it('records each transfer and each spend in the history, signed, and lets the balance go below zero', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'cspender');
      await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '10.000' });
      expect(sandbox.spend(uuid, 12_500 as Millis)).toBe(-2_500);
      sandbox.setBehaviour({ amountsAs: 'string' });
      const history = await call(sandbox, 'GET', `/account/reseller-balance/${uuid}/history`);
      const balance = await call(sandbox, 'GET', `/account/reseller-balance/${uuid}`);

      expect(history.body.result).toEqual([
        { uuid: expect.any(String), amount: '10.000', balance: '10.000', created_on: expect.any(String) },
        { uuid: expect.any(String), amount: '-12.500', balance: '-2.500', created_on: expect.any(String) },
      ]);
      expect(balance.body.result).toEqual({ balance: '-2.500' });
      expect(sandbox.state.customers[0]?.history.map((entry) => [entry.kind, entry.change])).toEqual([
        ['transfer', 10_000],
        ['spend', -12_500],
      ]);
      // Spending is no transfer: the soak's invariants count only what the reseller moved.
      expect(sandbox.state.transfers).toHaveLength(1);
      expect(() => sandbox.spend(uuid, 0 as Millis)).toThrow(RangeError);
      expect(() => sandbox.spend('unknown', 1 as Millis)).toThrow(RangeError);
    });

    it("answers the reference's own example history, [{}], when configured to, and 404 when there is none", async () => {
      const sandbox = await start({ behaviour: { balanceHistory: 'documented-example' } });
      const uuid = await createCustomer(sandbox, 'cexample');
      const example = await call(sandbox, 'GET', `/account/reseller-balance/${uuid}/history`);
      sandbox.setBehaviour({ balanceHistory: 'none' });
      const none = await call(sandbox, 'GET', `/account/reseller-balance/${uuid}/history`);

      expect(example.body.result).toEqual([{}]);
      expect(none.http).toBe(404);
    });

    it('allocates credit by POST with the required net, recorded as a transfer, and 400 without net', async () => {
      const sandbox = await start({ resellerBalance: 50_000 as Millis });
      const uuid = await createCustomer(sandbox, 'callocated');
      const withoutNet = await call(sandbox, 'POST', `/account/reseller-balance/${uuid}`, {
        balance: '5.000',
      });
      const allocated = await call(sandbox, 'POST', `/account/reseller-balance/${uuid}?net=true`, {
        balance: '5.000',
      });

      expect([withoutNet.http, allocated.http]).toEqual([400, 200]);
      expect(sandbox.state.resellerBalance).toBe(45_000);
      expect(sandbox.state.transfers).toEqual([
        { customerUuid: uuid, amount: 5_000, at: expect.any(Number) },
      ]);
    });

    it('counts the allocation as a transfer for faults, and balance and history reads as customer-balance reads', async () => {
      const sandbox = await start({ faults: { dropNext: 'transfer', balanceUnavailableForMs: 60_000 } });
      const uuid = await createCustomer(sandbox, 'cfaulty');
      await expect(
        fetch(`${sandbox.url}/account/reseller-balance/${uuid}?net=1`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body: '{"balance":"1.000"}',
        }),
      ).rejects.toThrow();
      expect(sandbox.state.transfers).toHaveLength(1);
      expect((await call(sandbox, 'GET', `/account/reseller-balance/${uuid}`)).http).toBe(503);
      expect((await call(sandbox, 'GET', `/account/reseller-balance/${uuid}/history`)).http).toBe(503);
      expect((await call(sandbox, 'GET', '/account/balance')).http).toBe(200);
    });
  });

  describe('PUT /account/reseller/{uuid}', () => {
    it('moves the amount from the reseller to the customer and records the transfer', async () => {
      const sandbox = await start({ resellerBalance: 50_000 as Millis });
      const uuid = await createCustomer(sandbox, 'cpaid');
      const answer = await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '10.000' });
      expect(answer.http).toBe(200);
      const state = sandbox.state;
      expect(state.resellerBalance).toBe(40_000);
      expect(state.customers[0]?.balance).toBe(10_000);
      expect(state.transfers).toEqual([{ customerUuid: uuid, amount: 10_000, at: expect.any(Number) }]);
    });

    it.each([
      ['below 0.01', '0.009'],
      ['above the reseller balance', '50.001'],
      ['not a decimal', 'ten'],
      ['more than three decimals', '1.0001'],
      ['negative', '-1.000'],
    ])('answers 400 and moves nothing when the amount is %s', async (_case, balance) => {
      const sandbox = await start({ resellerBalance: 50_000 as Millis });
      const uuid = await createCustomer(sandbox, 'climits');
      expect((await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance })).http).toBe(400);
      expect(sandbox.state.resellerBalance).toBe(50_000);
      expect(sandbox.state.transfers).toHaveLength(0);
    });

    it('accepts exactly the whole reseller balance, and more after a top-up', async () => {
      const sandbox = await start({ resellerBalance: 1_000 as Millis });
      const uuid = await createCustomer(sandbox, 'cwhole');
      expect((await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' })).http).toBe(200);
      expect((await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '0.010' })).http).toBe(400);
      sandbox.setResellerBalance(5_000 as Millis);
      expect((await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: 5 })).http).toBe(200);
      expect(sandbox.state.customers[0]?.balance).toBe(6_000);
    });

    it('answers 404 for an unknown uuid', async () => {
      const sandbox = await start();
      expect((await call(sandbox, 'PUT', '/account/reseller/unknown', { balance: '1.000' })).http).toBe(404);
    });

    it('refuses a reseller balance that is not integer millis, naming it', async () => {
      const sandbox = await start();
      expect(() => sandbox.setResellerBalance(1.5 as Millis)).toThrow(/1\.5/);
    });
  });
});
