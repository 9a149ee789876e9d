import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SANDBOX_CREDENTIALS,
  SANDBOX_LISTED_PASSWORD,
  type SandboxAdmin,
  type SandboxOptions,
  startSandboxAdmin,
  startYaySandbox,
  type YaySandbox,
} from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import { sampleCustomerInput } from '../../helpers/yay-sandbox';

const AUTH = {
  'x-auth-reseller': DEFAULT_SANDBOX_CREDENTIALS.reseller,
  'x-auth-user': DEFAULT_SANDBOX_CREDENTIALS.user,
  'x-auth-password': DEFAULT_SANDBOX_CREDENTIALS.password,
};

interface Answer {
  http: number;
  body: { result: unknown; status_code: number; status_message: string };
}

describe('startYaySandbox', () => {
  const started: YaySandbox[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sandbox) => sandbox.stop()));
  });

  async function start(options?: SandboxOptions): Promise<YaySandbox> {
    const sandbox = await startYaySandbox(options);
    started.push(sandbox);
    return sandbox;
  }

  async function call(
    sandbox: YaySandbox,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = AUTH,
  ): Promise<Answer> {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { http: response.status, body: (await response.json()) as Answer['body'] };
  }

  async function createCustomer(sandbox: YaySandbox, name: string): Promise<string> {
    const answer = await call(
      sandbox,
      'POST',
      '/account/reseller',
      sampleCustomerInput(name, sandbox.storeFronts[0]?.uuid ?? ''),
    );
    return (answer.body.result as { uuid: string }).uuid;
  }

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

  describe('POST /account/reseller', () => {
    it('answers 201 with the created object including a uuid, without user details', async () => {
      const sandbox = await start();
      const answer = await call(
        sandbox,
        'POST',
        '/account/reseller',
        sampleCustomerInput('cnew', sandbox.storeFronts[0]?.uuid ?? ''),
      );
      expect(answer.http).toBe(201);
      expect(answer.body.status_code).toBe(201);
      expect(answer.body.result).toMatchObject({
        name: 'cnew',
        contact_name: 'Geoff Wilson',
        uuid: expect.any(String),
      });
      expect(JSON.stringify(answer.body)).not.toContain('test-only-store-password');
    });

    it('omits the uuid from the created object when configured to', async () => {
      const sandbox = await start({ behaviour: { omitUuidOnCreate: true } });
      const answer = await call(
        sandbox,
        'POST',
        '/account/reseller',
        sampleCustomerInput('cnew', sandbox.storeFronts[0]?.uuid ?? ''),
      );
      expect(answer.http).toBe(201);
      expect(answer.body.result).not.toHaveProperty('uuid');
      expect(sandbox.state.customers).toHaveLength(1);
    });

    it('answers a bare 400 when the name is taken', async () => {
      const sandbox = await start();
      await createCustomer(sandbox, 'ctaken');
      const answer = await call(
        sandbox,
        'POST',
        '/account/reseller',
        sampleCustomerInput('ctaken', sandbox.storeFronts[0]?.uuid ?? ''),
      );
      expect(answer).toEqual({
        http: 400,
        body: { result: {}, status_code: 400, status_message: 'Bad Request' },
      });
      expect(sandbox.state.customers).toHaveLength(1);
    });

    it.each([
      ['the store front does not exist', { store_front: 'no-such-front' }],
      ['there is no user', { users: [] }],
      ['no user has role_id 3', { users: [{ name: 'admin', role_id: '1', password: 'test-only-x' }] }],
      ['there is no address', { addresses: [] }],
      ['the contact name is missing', { contact_name: '' }],
    ])('answers 400 and creates nothing when %s', async (_case, change) => {
      const sandbox = await start();
      const answer = await call(sandbox, 'POST', '/account/reseller', {
        ...sampleCustomerInput('cinvalid', sandbox.storeFronts[0]?.uuid ?? ''),
        ...change,
      });
      expect(answer.http).toBe(400);
      expect(sandbox.state.customers).toHaveLength(0);
    });

    it('creates a customer without a store from name and contact name alone', async () => {
      const sandbox = await start();
      const answer = await call(sandbox, 'POST', '/account/reseller', {
        name: 'cplain',
        contact_name: 'Plain',
      });
      expect(answer.http).toBe(201);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const sandbox = await start();
      const response = await fetch(`${sandbox.url}/account/reseller`, {
        method: 'POST',
        headers: AUTH,
        body: '{nope',
      });
      expect(response.status).toBe(400);
    });

    it('keeps only the newest entries of the request log beyond its limit', async () => {
      const sandbox = await start({ requestLogLimit: 2 });
      await call(sandbox, 'GET', '/authenticated');
      await call(sandbox, 'GET', '/account/store');
      await call(sandbox, 'GET', '/account/balance');
      expect(sandbox.state.requests.map((entry) => entry.path)).toEqual([
        '/account/store',
        '/account/balance',
      ]);
    });

    it('keeps no password in its state or request log', async () => {
      const sandbox = await start();
      await createCustomer(sandbox, 'csecret');
      const state = sandbox.state;
      expect(state.customers[0]?.users[0]?.hadPassword).toBe(true);
      const text = JSON.stringify(state);
      expect(text).not.toContain('test-only-store-password');
      expect(text).not.toContain(DEFAULT_SANDBOX_CREDENTIALS.password);
      expect(state.requests).toEqual([{ method: 'POST', path: '/account/reseller', status: 201 }]);
    });
  });

  describe('reading accounts', () => {
    it("lists customers in the shape of the reference's example, each user with a numeric role_id and a password field", async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'clisted');
      const answer = await call(sandbox, 'GET', '/account/reseller');
      const today = new Date().toISOString().slice(0, 10);
      expect(answer.body.result).toEqual([
        {
          addresses: [
            {
              uuid: expect.any(String),
              street_one: 'Westbury House',
              city: 'Guildford',
              state: 'Surrey',
              zip: 'GU2 4AW',
              country_code: 'GB',
              created_on: today,
              updated_on: today,
            },
          ],
          allow_outbound: true,
          contact_name: 'Geoff Wilson',
          created_on: today,
          ip_addresses: [],
          name: 'clisted',
          phone: '',
          store_front: sandbox.storeFronts[0]?.uuid,
          updated_on: today,
          users: [
            {
              contact_first_name: 'Geoff',
              contact_last_name: 'Wilson',
              created_on: today,
              email: 'customer@example.com',
              name: 'admin',
              password: SANDBOX_LISTED_PASSWORD,
              role_id: 3,
              updated_on: today,
              uuid: expect.any(String),
            },
          ],
          uuid,
        },
      ]);
      // Every field of the reference's example item is there (test/fixtures/yay/published).
      const example = JSON.parse(
        readFileSync(
          join(import.meta.dirname, '../../fixtures/yay/published/sub-reseller-list-200.json'),
          'utf8',
        ),
      ) as { result: Record<string, unknown>[] };
      const served = (answer.body.result as Record<string, unknown>[])[0] ?? {};
      expect(Object.keys(served).sort()).toEqual(Object.keys(example.result[0] ?? {}).sort());
      expect(JSON.stringify(answer.body)).not.toContain('test-only-store-password');
    });

    it('lists active customers only: a deactivated one is gone from the list, its name still taken', async () => {
      const sandbox = await start();
      const kept = await createCustomer(sandbox, 'ckept');
      const gone = await createCustomer(sandbox, 'cgone');
      sandbox.deactivate(gone);
      const listed = (await call(sandbox, 'GET', '/account/reseller')).body.result as { uuid: string }[];
      const again = await call(
        sandbox,
        'POST',
        '/account/reseller',
        sampleCustomerInput('cgone', sandbox.storeFronts[0]?.uuid ?? ''),
      );

      expect(listed.map((customer) => customer.uuid)).toEqual([kept]);
      expect(again.http).toBe(400);
      expect(sandbox.state.customers.map((customer) => [customer.name, customer.active])).toEqual([
        ['ckept', true],
        ['cgone', false],
      ]);
      expect(() => sandbox.deactivate('unknown')).toThrow(RangeError);
    });

    it('adds a customer created outside this product, its name with spaces, reachable by X-Auth-For', async () => {
      const sandbox = await start();
      const outside = sandbox.addCustomer({ name: 'Example Sub Reseller', balance: -90 as Millis });
      const listed = (await call(sandbox, 'GET', '/account/reseller')).body.result as { name: string }[];
      const onBehalf = await call(sandbox, 'GET', '/account/balance', undefined, {
        ...AUTH,
        'x-auth-for': 'Example Sub Reseller',
      });

      expect(listed.map((customer) => customer.name)).toEqual(['Example Sub Reseller']);
      expect(onBehalf.body.result).toEqual({ balance: -0.09 });
      expect(outside).toMatchObject({ users: [], addresses: [], balance: -90, active: true });
      expect(() => sandbox.addCustomer({ name: 'Example Sub Reseller' })).toThrow(/taken/);
      expect(() => sandbox.addCustomer({ name: ' padded' })).toThrow(RangeError);
    });

    it('answers one customer, without a balance field unless configured to, and 404 for an unknown uuid', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'cone');
      const plain = await call(sandbox, 'GET', `/account/reseller/${uuid}`);
      sandbox.setBehaviour({ balanceOnCustomerRecord: true });
      const withBalance = await call(sandbox, 'GET', `/account/reseller/${uuid}`);

      expect(plain).toMatchObject({ http: 200, body: { result: { uuid, name: 'cone' } } });
      expect(plain.body.result).not.toHaveProperty('balance');
      expect(withBalance.body.result).toMatchObject({ uuid, balance: 0 });
      expect((await call(sandbox, 'GET', '/account/reseller/unknown')).http).toBe(404);
      expect((await call(sandbox, 'GET', '/account/reseller/%E0%A4%A')).http).toBe(404);
    });

    it('lists the store fronts it was started with', async () => {
      const fronts = [
        { uuid: 'front-a', name: 'A' },
        { uuid: 'front-b', name: 'B' },
      ];
      const sandbox = await start({ storeFronts: fronts });
      await expect(call(sandbox, 'GET', '/account/store')).resolves.toMatchObject({
        body: { result: fronts },
      });
    });

    it('answers the reseller balance as a number, or a string when configured', async () => {
      const sandbox = await start({ resellerBalance: 10_500 as Millis });
      await expect(call(sandbox, 'GET', '/account/balance')).resolves.toMatchObject({
        body: { result: { balance: 10.5 } },
      });
      sandbox.setBehaviour({ amountsAs: 'string' });
      await expect(call(sandbox, 'GET', '/account/balance')).resolves.toMatchObject({
        body: { result: { balance: '10.500' } },
      });
    });

    it('answers the customer balance when X-Auth-For names the customer', async () => {
      const sandbox = await start();
      const uuid = await createCustomer(sandbox, 'cfor');
      await call(sandbox, 'PUT', `/account/reseller/${uuid}`, { balance: '3.000' });
      await expect(
        call(sandbox, 'GET', '/account/balance', undefined, { ...AUTH, 'x-auth-for': 'cfor' }),
      ).resolves.toMatchObject({ body: { result: { balance: 3 } } });
      expect(
        (await call(sandbox, 'GET', '/account/balance', undefined, { ...AUTH, 'x-auth-for': 'cnone' })).http,
      ).toBe(404);
    });
  });

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

describe('startSandboxAdmin (the control port of a sandbox in its own process)', () => {
  const running: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    for (const thing of running.splice(0).reverse()) await thing.stop();
  });

  async function withAdmin(options?: SandboxOptions): Promise<{ sandbox: YaySandbox; admin: SandboxAdmin }> {
    const sandbox = await startYaySandbox(options);
    running.push(sandbox);
    const admin = await startSandboxAdmin(sandbox);
    running.push(admin);
    return { sandbox, admin };
  }

  const control = async (admin: SandboxAdmin, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${admin.url}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('listens on its own loopback port, apart from the API', async () => {
    const { sandbox, admin } = await withAdmin();
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(admin.url).not.toBe(sandbox.url);
    expect((await fetch(`${sandbox.url}/state`, { headers: AUTH })).status).toBe(404);
  });

  it('replaces the faults over HTTP, and the sandbox injects them', async () => {
    const { sandbox, admin } = await withAdmin();
    const set = await control(admin, 'PUT', '/faults', { errorRate: 1 });
    const failed = await fetch(`${sandbox.url}/authenticated`, { headers: AUTH });
    const cleared = await control(admin, 'PUT', '/faults', {});
    const ok = await fetch(`${sandbox.url}/authenticated`, { headers: AUTH });

    expect(set).toEqual({ status: 200, body: { faults: { errorRate: 1 } } });
    expect([failed.status, cleared.status, ok.status]).toEqual([500, 200, 200]);
  });

  it('refuses a misspelt or invalid fault set with 400 naming the field, and keeps the faults it had', async () => {
    const { sandbox, admin } = await withAdmin({ faults: { forbidden: true } });
    const misspelt = await control(admin, 'PUT', '/faults', { errorRat: 1 });
    const invalid = await control(admin, 'PUT', '/faults', { errorRate: 2 });
    const notJson = await fetch(`${admin.url}/faults`, { method: 'PUT', body: '{nope' });

    expect(misspelt).toEqual({ status: 400, body: { error: 'unknown fault field "errorRat"' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/errorRate/);
    expect(notJson.status).toBe(400);
    expect((await fetch(`${sandbox.url}/authenticated`, { headers: AUTH })).status).toBe(403);
  });

  it('answers the ledger and the fault counts, without any password, and nothing of its own in the request log', async () => {
    const { sandbox, admin } = await withAdmin({ resellerBalance: 20_000 as Millis });
    await control(admin, 'PUT', '/faults', { errorAfterApplyNext: 'create' });
    const body = sampleCustomerInput('cadmin', sandbox.storeFronts[0]?.uuid ?? '');
    await fetch(`${sandbox.url}/account/reseller`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await control(admin, 'PUT', '/reseller-balance', { balance: 30_000 });
    const state = await control(admin, 'GET', '/state');

    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      resellerBalance: 30_000,
      customers: [expect.objectContaining({ name: 'cadmin', balance: 0 })],
      transfers: [],
      requests: [{ method: 'POST', path: '/account/reseller', status: 201, fault: 'error-after-apply' }],
      faultCounts: { 'error-after-apply': 1 },
      held: 0,
    });
    expect(await control(admin, 'GET', '/fault-counts')).toEqual({
      status: 200,
      body: { faultCounts: { 'error-after-apply': 1 }, held: 0 },
    });
    const text = JSON.stringify(state.body);
    expect(text).not.toContain(DEFAULT_SANDBOX_CREDENTIALS.password);
    expect(text).not.toContain('test-only-store-password');
  });

  it('makes a customer spend, deactivates one and adds one created outside this product, over HTTP', async () => {
    const { sandbox, admin } = await withAdmin();
    const body = sampleCustomerInput('cspends', sandbox.storeFronts[0]?.uuid ?? '');
    const created = await fetch(`${sandbox.url}/account/reseller`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const { uuid } = ((await created.json()) as { result: { uuid: string } }).result;

    const spent = await control(admin, 'POST', '/spend', { uuid, amount: 1_500 });
    const outside = await control(admin, 'POST', '/customers', { name: 'Pete s Plumbing', balance: 2_000 });
    const deactivated = await control(admin, 'POST', '/deactivate', { uuid });
    const unknownCustomer = await control(admin, 'POST', '/spend', { uuid: 'nobody', amount: 1 });
    const badAmount = await control(admin, 'POST', '/spend', { uuid, amount: '1.5' });
    const misspelt = await control(admin, 'POST', '/customers', { nam: 'x' });
    const taken = await control(admin, 'POST', '/customers', { name: 'Pete s Plumbing' });

    expect(spent).toEqual({ status: 200, body: { balance: -1_500 } });
    expect(outside).toMatchObject({
      status: 200,
      body: { name: 'Pete s Plumbing', balance: 2_000, active: true },
    });
    expect(deactivated).toEqual({ status: 200, body: { uuid, active: false } });
    expect([unknownCustomer.status, badAmount.status, misspelt.status, taken.status]).toEqual([
      400, 400, 400, 400,
    ]);
    expect(misspelt.body.error).toBe('unknown customer field "nam"');
    const listed = (await (await fetch(`${sandbox.url}/account/reseller`, { headers: AUTH })).json()) as {
      result: { name: string }[];
    };
    expect(listed.result.map((customer) => customer.name)).toEqual(['Pete s Plumbing']);
  });

  it('releases held requests and sets behaviour variants over HTTP', async () => {
    const { sandbox, admin } = await withAdmin();
    await control(admin, 'PUT', '/faults', { holdNext: 'any' });
    const held = fetch(`${sandbox.url}/account/balance`, { headers: AUTH });
    await vi.waitFor(() => expect(sandbox.held).toBe(1), { interval: 5, timeout: 10_000 });
    const released = await control(admin, 'POST', '/release');
    const behaviour = await control(admin, 'PUT', '/behaviour', { amountsAs: 'string' });
    const unknown = await control(admin, 'PUT', '/behaviour', { amounts: 'string' });

    expect(released).toEqual({ status: 200, body: { released: 1 } });
    expect((await held).status).toBe(200);
    expect(behaviour.status).toBe(200);
    expect(unknown.status).toBe(400);
    const answer = (await (await fetch(`${sandbox.url}/account/balance`, { headers: AUTH })).json()) as {
      result: { balance: unknown };
    };
    expect(answer.result.balance).toBe('100.000');
    expect((await control(admin, 'GET', '/nowhere')).status).toBe(404);
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
