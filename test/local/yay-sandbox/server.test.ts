import { describe, expect, it, vi } from 'vitest';
import { startYaySandbox } from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import { sampleCustomerInput } from '../../helpers/yay-sandbox';
import { AUTH, sandboxSuite } from './support';

describe('startYaySandbox', () => {
  const { start, call, createCustomer } = sandboxSuite();

  describe('authentication and envelope', () => {
    it('listens on a free loopback port', async () => {
      const sandbox = await start();
      expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('answers 401 in the envelope when an auth header is missing or wrong', async () => {
      const sandbox = await start();
      const { 'x-auth-user': _user, ...withoutUser } = AUTH;
      for (const headers of [{}, withoutUser, { ...AUTH, 'x-auth-password': 'test-only-wrong' }]) {
        const answer = await call(sandbox, 'GET', '/authenticated', undefined, headers);
        expect(answer).toEqual({
          http: 401,
          body: { result: {}, status_code: 401, status_message: 'Unauthorized' },
        });
      }
    });

    it('answers GET /authenticated with the envelope when the credentials match', async () => {
      const sandbox = await start();
      await expect(call(sandbox, 'GET', '/authenticated')).resolves.toEqual({
        http: 200,
        body: { result: {}, status_code: 200, status_message: 'OK' },
      });
    });

    it('accepts only the credentials it was started with', async () => {
      const credentials = { reseller: 'r1', user: 'u1', password: 'test-only-other' };
      const sandbox = await start({ credentials });
      expect((await call(sandbox, 'GET', '/authenticated')).http).toBe(401);
      const answer = await call(sandbox, 'GET', '/authenticated', undefined, {
        'x-auth-reseller': 'r1',
        'x-auth-user': 'u1',
        'x-auth-password': 'test-only-other',
      });
      expect(answer.http).toBe(200);
    });

    it('answers 404 in the envelope for an unknown path', async () => {
      const sandbox = await start();
      await expect(call(sandbox, 'GET', '/nowhere')).resolves.toEqual({
        http: 404,
        body: { result: {}, status_code: 404, status_message: 'Not Found' },
      });
    });

    it('puts the status only in the envelope when asked to', async () => {
      const sandbox = await start({ behaviour: { statusInEnvelopeOnly: true } });
      const answer = await call(sandbox, 'GET', '/nowhere');
      expect(answer.http).toBe(200);
      expect(answer.body.status_code).toBe(404);
    });
  });

  describe('faults', () => {
    it('answers 500 to every request at errorRate 1 and applies nothing', async () => {
      const sandbox = await start({ faults: { errorRate: 1 } });
      const answer = await call(sandbox, 'POST', '/account/reseller', {
        name: 'cfail',
        contact_name: 'Fail',
      });
      expect(answer).toEqual({
        http: 500,
        body: { result: {}, status_code: 500, status_message: 'Internal Server Error' },
      });
      expect(sandbox.state.customers).toHaveLength(0);
      expect(sandbox.state.requests[0]?.fault).toBe('injected-error');
    });

    it('fails the same requests on every run when the error rate is seeded', async () => {
      const statuses = async (): Promise<number[]> => {
        const sandbox = await start({ faults: { errorRate: 0.5, errorSeed: 42 } });
        const out: number[] = [];
        for (let i = 0; i < 20; i += 1) out.push((await call(sandbox, 'GET', '/authenticated')).http);
        return out;
      };
      const first = await statuses();
      expect(await statuses()).toEqual(first);
      expect(first).toContain(500);
      expect(first).toContain(200);
    });

    it('answers 429 to a request that arrives while maxConcurrent requests are in flight', async () => {
      // Both allowed requests are held, so they are provably in flight when the third arrives.
      const sandbox = await start({ faults: { maxConcurrent: 2, holdNext: { route: 'any', count: 2 } } });
      const allowed = [call(sandbox, 'GET', '/authenticated'), call(sandbox, 'GET', '/authenticated')];
      await vi.waitFor(() => expect(sandbox.held).toBe(2), { interval: 5, timeout: 10_000 });

      const over = await call(sandbox, 'GET', '/authenticated');
      sandbox.release();

      expect(over).toEqual({
        http: 429,
        body: { result: {}, status_code: 429, status_message: 'Too Many Requests' },
      });
      expect((await Promise.all(allowed)).map((answer) => answer.http)).toEqual([200, 200]);
      expect(sandbox.state.requests.filter((request) => request.fault === 'rate-limited')).toHaveLength(1);
    });

    it('applies a dropped create and then destroys the socket without answering, once', async () => {
      const sandbox = await start();
      sandbox.setFaults({ dropNext: 'create' });
      const body = sampleCustomerInput('cdrop', sandbox.storeFronts[0]?.uuid ?? '');
      await expect(call(sandbox, 'POST', '/account/reseller', body)).rejects.toThrow(/fetch failed/);
      expect(sandbox.state.customers).toHaveLength(1);
      expect(sandbox.state.requests[0]).toMatchObject({ status: 201, fault: 'dropped' });
      expect(
        (await call(sandbox, 'POST', '/account/reseller', { name: 'cnext', contact_name: 'N' })).http,
      ).toBe(201);
    });

    it('drops only the route it was set for, as many times as counted', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'ccount');
      sandbox.setFaults({ dropNext: { route: 'transfer', count: 2 } });
      expect((await call(sandbox, 'GET', '/account/balance')).http).toBe(200);
      await expect(call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' })).rejects.toThrow();
      await expect(call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' })).rejects.toThrow();
      expect((await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' })).http).toBe(200);
      expect(sandbox.state.transfers).toHaveLength(3);
    });

    it('sends half an answer and resets the connection for truncateNext', async () => {
      const sandbox = await start({ faults: { truncateNext: 'any' } });
      const response = await fetch(`${sandbox.url}/account/balance`, { headers: AUTH });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    });

    it('answers 403 to everything while forbidden', async () => {
      const sandbox = await start({ faults: { forbidden: true } });
      expect((await call(sandbox, 'GET', '/authenticated')).body.status_code).toBe(403);
      sandbox.setFaults({});
      expect((await call(sandbox, 'GET', '/authenticated')).http).toBe(200);
    });

    it('holds answers for latencyMs so a short client timeout fires', async () => {
      const sandbox = await start({ faults: { latencyMs: 1_000 } });
      const timedOut = fetch(`${sandbox.url}/authenticated`, {
        headers: AUTH,
        signal: AbortSignal.timeout(50),
      });
      await expect(timedOut).rejects.toMatchObject({ name: 'TimeoutError' });
    });

    it('holds a transfer, applying nothing, until released, and only the next one', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'chold');
      sandbox.setFaults({ holdNext: 'transfer' });

      const transfer = call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' });
      await vi.waitFor(() => expect(sandbox.held).toBe(1), { interval: 5 });
      const whileHeld = sandbox.state.transfers.length;
      sandbox.release();
      const answer = await transfer;
      const next = await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' });

      expect(whileHeld).toBe(0);
      expect(answer.http).toBe(200);
      expect(next.http).toBe(200);
      expect(sandbox.held).toBe(0);
      expect(sandbox.state.transfers).toHaveLength(2);
    });

    it('applies a transfer and then answers 500 for errorAfterApplyNext, once', async () => {
      const sandbox = await start({ resellerBalance: 50_000 as Millis });
      const uuid = await createCustomer(sandbox, 'cafter');
      sandbox.setFaults({ errorAfterApplyNext: 'transfer' });

      const failed = await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' });
      const next = await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' });

      expect(failed).toEqual({
        http: 500,
        body: { result: {}, status_code: 500, status_message: 'Internal Server Error' },
      });
      expect(next.http).toBe(200);
      const state = sandbox.state;
      expect(state.transfers).toHaveLength(2);
      expect(state.customers[0]?.balance).toBe(2_000);
      expect(state.requests.filter((r) => r.fault === 'error-after-apply')).toEqual([
        { method: 'PUT', path: `/account/reseller/${uuid}`, status: 200, fault: 'error-after-apply' },
      ]);
    });

    it('answers 500 after a create it applied, for errorAfterApplyNext on create only', async () => {
      const sandbox = await start();
      sandbox.setFaults({ errorAfterApplyNext: { route: 'create', count: 1 } });
      expect((await call(sandbox, 'GET', '/account/balance')).http).toBe(200);
      const body = sampleCustomerInput('ccommitted', sandbox.storeFronts[0]?.uuid ?? '');
      expect((await call(sandbox, 'POST', '/account/reseller', body)).http).toBe(500);
      // The retry meets the customer the failed call created.
      expect((await call(sandbox, 'POST', '/account/reseller', body)).http).toBe(400);
      expect(sandbox.state.customers.map((c) => c.name)).toEqual(['ccommitted']);
    });

    it('answers 503 to customer-balance reads only, while balanceUnavailableForMs runs', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'cdown');
      sandbox.setFaults({ balanceUnavailableForMs: 60_000 });

      const record = await call(sandbox, 'GET', `/account/reseller/${uuid}`);
      const onBehalf = await call(sandbox, 'GET', '/account/balance', undefined, {
        ...AUTH,
        'x-auth-for': 'cdown',
      });
      const reseller = await call(sandbox, 'GET', '/account/balance');
      const list = await call(sandbox, 'GET', '/account/reseller');
      const transfer = await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '1.000' });

      expect(record).toEqual({
        http: 503,
        body: { result: {}, status_code: 503, status_message: 'Service Unavailable' },
      });
      expect(onBehalf.http).toBe(503);
      expect([reseller.http, list.http, transfer.http]).toEqual([200, 200, 200]);
      expect(sandbox.state.requests.filter((r) => r.fault === 'balance-unavailable')).toHaveLength(2);
    });

    it('reads customer balances again once the balanceUnavailableForMs window has passed, or faults are cleared', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'cback');
      sandbox.setFaults({ balanceUnavailableForMs: 50 });
      const during = await call(sandbox, 'GET', `/account/reseller/${uuid}`);
      // Waits for the window to close, however slow the machine: the answer decides, not a sleep.
      await vi.waitFor(
        async () => expect((await call(sandbox, 'GET', `/account/reseller/${uuid}`)).http).toBe(200),
        { interval: 20, timeout: 10_000 },
      );
      sandbox.setFaults({ balanceUnavailableForMs: 60_000 });
      sandbox.setFaults({});

      expect(during.http).toBe(503);
      expect((await call(sandbox, 'GET', `/account/reseller/${uuid}`)).http).toBe(200);
    });

    it('counts every fault since the start, beyond the request log limit', async () => {
      const sandbox = await start({ requestLogLimit: 1, faults: { errorRate: 1, latencyMs: 1 } });
      for (let i = 0; i < 3; i += 1) await call(sandbox, 'GET', '/authenticated');
      sandbox.setFaults({ forbidden: true });
      await call(sandbox, 'GET', '/authenticated');

      const state = sandbox.state;
      expect(state.requests).toHaveLength(1);
      expect(state.faultCounts).toEqual({ 'injected-error': 3, delayed: 3, forbidden: 1 });
    });

    it('names the field of an invalid fault setting', async () => {
      const sandbox = await start();
      expect(() => sandbox.setFaults({ errorRate: 2 })).toThrow(/errorRate/);
      expect(() => sandbox.setFaults({ maxConcurrent: 0 })).toThrow(/maxConcurrent/);
      expect(() => sandbox.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
      expect(() => sandbox.setFaults({ dropNext: { route: 'create', count: -1 } })).toThrow(/count/);
      expect(() => sandbox.setFaults({ balanceUnavailableForMs: -5 })).toThrow(/balanceUnavailableForMs/);
      expect(() => sandbox.setFaults({ errorAfterApplyNext: { route: 'any', count: 0.5 } })).toThrow(/count/);
    });

    it('stops promptly while answers wait on latency', async () => {
      const sandbox = await startYaySandbox({ faults: { latencyMs: 60_000 } });
      const pending = fetch(`${sandbox.url}/authenticated`, { headers: AUTH }).catch(
        (error: unknown) => error,
      );
      await vi.waitFor(() => expect(sandbox.state.requests).toHaveLength(1), { interval: 5 });
      await sandbox.stop();
      await expect(pending).resolves.toBeInstanceOf(Error);
    });
  });
});

describe('yay sandbox packaging', () => {
  it('is imported by nothing under functions/ or shared/, so no Lambda bundle ships it', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const offenders: string[] = [];
    for (const root of ['functions', 'shared']) {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      for (const entry of entries) {
        if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
        const file = `${entry.parentPath}/${entry.name}`;
        if (/yay-sandbox/.test(await readFile(file, 'utf8'))) offenders.push(file);
      }
    }
    expect(offenders).toEqual([]);
  });
});
