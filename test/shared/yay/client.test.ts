import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SANDBOX_LISTED_PASSWORD } from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import {
  ConfigInvalid,
  OrderInvalid,
  YayAuthFailed,
  YayRateLimited,
  YayRejected,
  YayUnavailable,
} from '../../../shared/errors';
import { createYayClient } from '../../../shared/yay/client';
import { DEFAULT_YAY_SETTINGS } from '../../../shared/yay/settings';
import { exposeError, sampleCustomerInput, useYaySandbox } from '../../helpers/yay-sandbox';

const PASSWORD = 'test-only-not-a-secret';

/** A free loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A fetch that answers one canned response: for variants no honest sandbox would produce. */
function cannedFetch(body: string, status = 200, headers: Record<string, string> = {}): typeof fetch {
  return vi.fn(async () => new Response(body, { status, headers })) as unknown as typeof fetch;
}

const credentials = { reseller: 'sandbox-reseller', user: 'sandbox-user', password: PASSWORD };

/** A published example body of the vendor's reference, byte for byte (test/fixtures/yay/published/SOURCES.md). */
const published = (file: string): string =>
  readFileSync(join(import.meta.dirname, '../../fixtures/yay/published', file), 'utf8');

describe('createYayClient', () => {
  const yay = useYaySandbox();

  describe('requests', () => {
    it('sends the three auth headers and a User-Agent on every call', async () => {
      const seen: Headers[] = [];
      const client = yay.client({
        userAgent: 'test-agent/1',
        fetch: (async (url: string, init: RequestInit) => {
          seen.push(new Headers(init.headers));
          return fetch(url, init);
        }) as typeof fetch,
      });
      await client.checkAuthentication();
      await client.listCustomers();
      expect(seen).toHaveLength(2);
      for (const headers of seen) {
        expect(headers.get('x-auth-reseller')).toBe('sandbox-reseller');
        expect(headers.get('x-auth-user')).toBe('sandbox-user');
        expect(headers.get('x-auth-password')).toBe(PASSWORD);
        expect(headers.get('user-agent')).toBe('test-agent/1');
        expect(headers.has('x-auth-for')).toBe(false);
      }
    });

    it('reads credentials from the provider on each call so a rotated secret is picked up', async () => {
      const provider = vi
        .fn<() => Promise<typeof credentials>>()
        .mockResolvedValueOnce({ ...credentials, password: 'test-only-old-password' })
        .mockResolvedValue(credentials);
      const client = yay.client({ credentials: provider });
      await expect(client.checkAuthentication()).rejects.toBeInstanceOf(YayAuthFailed);
      await expect(client.checkAuthentication()).resolves.toBeUndefined();
      expect(provider).toHaveBeenCalledTimes(2);
    });

    it('sends X-Auth-For only when a call asks for it', async () => {
      const client = yay.client();
      await client.request('GET', '/account/balance', { authFor: 'cnobody' }).catch(() => undefined);
      await client.request('GET', '/account/balance');
      const log = yay.sandbox.state.requests;
      expect(log[0]).toMatchObject({ path: '/account/balance', authFor: 'cnobody', status: 404 });
      expect(log[1]).not.toHaveProperty('authFor');
    });

    it('rejects a base URL carrying user-info without echoing it', () => {
      const build = () => createYayClient({ baseUrl: `https://user:${PASSWORD}@api.yay.com`, credentials });
      expect(build).toThrow(ConfigInvalid);
      expect(build).toThrow(/user-info/);
      expect(() => build()).not.toThrow(new RegExp(PASSWORD));
    });

    it('names the timeoutMs option when it is not a positive integer', () => {
      expect(() => createYayClient({ baseUrl: 'https://api.yay.com', credentials, timeoutMs: 0 })).toThrow(
        /timeoutMs/,
      );
    });

    it('refuses credentials that cannot be a header value, naming the field and not the value', async () => {
      const client = yay.client({ credentials: { ...credentials, password: 'test-only\nnot-a-secret' } });
      const error = await client.checkAuthentication().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigInvalid);
      expect((error as Error).message).toMatch(/field password/);
      expect(exposeError(error)).not.toContain('not-a-secret');
      expect(yay.sandbox.state.requests).toHaveLength(0);
    });
  });

  describe('error mapping', () => {
    it('throws YayAuthFailed on 401 when the password is wrong', async () => {
      const client = yay.client({ credentials: { ...credentials, password: 'test-only-wrong-password' } });
      await expect(client.checkAuthentication()).rejects.toBeInstanceOf(YayAuthFailed);
    });

    it('throws YayAuthFailed on 403 when the caller is not on the IP allow-list', async () => {
      yay.sandbox.setFaults({ forbidden: true });
      const error = await yay
        .client()
        .listCustomers()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayAuthFailed);
      expect((error as Error).message).toMatch(/403.*allow-list/);
    });

    it('throws YayRateLimited on 429 when a request arrives while the limit is already in flight', async () => {
      // The first request is held at Yay, so it is provably in flight when the next two arrive: no timing window.
      yay.sandbox.setFaults({ maxConcurrent: 1, holdNext: 'any' });
      const client = yay.client({ timeoutMs: 10_000 });
      const first = client.listCustomers();
      await vi.waitFor(() => expect(yay.sandbox.held).toBe(1), { interval: 5, timeout: 10_000 });

      const over = await Promise.allSettled([client.listCustomers(), client.listCustomers()]);
      yay.sandbox.release();

      await expect(first).resolves.toEqual([]);
      expect(over.map((result) => result.status)).toEqual(['rejected', 'rejected']);
      for (const result of over) {
        expect(result.status === 'rejected' && result.reason).toBeInstanceOf(YayRateLimited);
      }
    });

    it('throws YayRejected with the status on another 4xx', async () => {
      const error = await yay
        .client()
        .request('GET', '/account/reseller/00000000-0000-4000-8000-000000000000')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayRejected);
      expect((error as YayRejected).statusCode).toBe(404);
    });

    it('throws YayUnavailable that may have reached Yay on a 5xx', async () => {
      yay.sandbox.setFaults({ errorRate: 1 });
      const error = await yay
        .client()
        .resellerBalance()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(true);
      expect((error as Error).message).toMatch(/500/);
    });

    it('throws YayUnavailable that never reached Yay when the connection is refused', async () => {
      const client = createYayClient({
        baseUrl: `http://127.0.0.1:${await closedPort()}`,
        credentials,
        timeoutMs: 500,
      });
      const error = await client.resellerBalance().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(false);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
    });

    it('throws YayUnavailable that never reached Yay when the host name does not resolve', async () => {
      const dnsFailure = Object.assign(new Error('getaddrinfo ENOTFOUND api.yay.invalid'), {
        code: 'ENOTFOUND',
      });
      const client = createYayClient({
        baseUrl: 'https://api.yay.invalid',
        credentials,
        fetch: (async () => {
          throw new TypeError('fetch failed', { cause: dnsFailure });
        }) as typeof fetch,
      });
      const error = await client.listCustomers().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(false);
    });

    it('throws YayUnavailable that may have reached Yay when the answer times out', async () => {
      yay.sandbox.setFaults({ latencyMs: 2_000 });
      const error = await yay
        .client({ timeoutMs: 100 })
        .resellerBalance()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(true);
      expect((error as Error).message).toMatch(/no answer within 100 ms/);
    });

    it('throws YayUnavailable that may have reached Yay when the connection drops before the answer', async () => {
      const { uuid } = await yay
        .client()
        .createCustomer(sampleCustomerInput('cdropped', yay.sandbox.storeFronts[0]?.uuid ?? ''));
      yay.sandbox.setFaults({ dropNext: 'transfer' });
      const error = await yay
        .client()
        .transferCredit(uuid ?? '', 2500 as Millis)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(true);
      // The sandbox applied it: exactly why the outcome must count as unknown.
      expect(yay.sandbox.state.transfers).toEqual([
        expect.objectContaining({ customerUuid: uuid, amount: 2500 }),
      ]);
    });

    it('throws YayUnavailable that may have reached Yay when the connection resets mid-response', async () => {
      yay.sandbox.setFaults({ truncateNext: 'any' });
      const error = await yay
        .client()
        .resellerBalance()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(true);
      expect((error as Error).message).toMatch(/cut off/);
    });

    it('maps an error reported only in the envelope under HTTP 200', async () => {
      yay.sandbox.setBehaviour({ statusInEnvelopeOnly: true });
      const client = yay.client();
      const error = await client
        .request('GET', '/account/reseller/00000000-0000-4000-8000-000000000000')
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayRejected);
      expect((error as YayRejected).statusCode).toBe(404);
      const wrong = yay.client({ credentials: { ...credentials, password: 'test-only-wrong-password' } });
      await expect(wrong.checkAuthentication()).rejects.toBeInstanceOf(YayAuthFailed);
    });

    it('reads an envelope status_code sent as a string', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('{"result":{},"status_code":"429","status_message":"Too Many Requests"}'),
      });
      await expect(client.listCustomers()).rejects.toBeInstanceOf(YayRateLimited);
    });

    it('throws YayUnavailable when a 2xx answer is not the JSON envelope', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('<html>maintenance</html>', 200, { 'content-type': 'text/html' }),
      });
      const error = await client.resellerBalance().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as Error).message).toMatch(/without the JSON envelope/);
    });

    it('throws YayUnavailable when a 2xx JSON answer lacks the envelope', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('{"balance":10}'),
      });
      await expect(client.resellerBalance()).rejects.toThrow(/without the JSON envelope/);
    });

    it('treats a 2xx with an empty body as success for a call that reads nothing', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('', 200),
      });
      await expect(client.transferCredit('uuid-1', 1_000 as Millis)).resolves.toBeUndefined();
      await expect(client.resellerBalance()).rejects.toBeInstanceOf(YayUnavailable);
    });

    it('maps a proxy error page by its HTTP status when there is no envelope', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('<html>Bad Gateway</html>', 502),
      });
      const error = await client.listCustomers().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as YayUnavailable).mayHaveReachedYay).toBe(true);
    });

    it('does not follow a redirect, which would replay the auth headers elsewhere', async () => {
      const fetchImpl = cannedFetch('', 302, { location: 'https://elsewhere.test/' });
      const client = createYayClient({ baseUrl: 'http://api.yay.test', credentials, fetch: fetchImpl });
      const error = await client.listCustomers().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayRejected);
      expect((error as Error).message).toMatch(/redirect.*base URL/);
      expect(vi.mocked(fetchImpl).mock.calls[0]?.[1]).toMatchObject({ redirect: 'manual' });
    });

    it('throws YayUnavailable naming the field when a list answer has an unexpected shape', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('{"result":[{"name":"c1"}],"status_code":200,"status_message":"OK"}'),
      });
      await expect(client.listCustomers()).rejects.toThrow(/GET \/account\/reseller.*0\.uuid/);
    });
  });

  describe('credentials in errors', () => {
    it('keeps every credential out of every error and its cause chain', async () => {
      const wrongPassword = 'test-only-wrong-password';
      const errors: unknown[] = [];
      const collect = (promise: Promise<unknown>) =>
        promise.then(
          () => errors.push(new Error('expected a failure')),
          (error: unknown) => errors.push(error),
        );
      const client = yay.client({ timeoutMs: 100 });
      await collect(yay.client({ credentials: { ...credentials, password: wrongPassword } }).listCustomers());
      await collect(client.request('GET', '/nowhere'));
      yay.sandbox.setFaults({ errorRate: 1 });
      await collect(client.resellerBalance());
      yay.sandbox.setFaults({ truncateNext: 'any' });
      await collect(client.resellerBalance());
      yay.sandbox.setFaults({ dropNext: 'any' });
      await collect(client.resellerBalance());
      yay.sandbox.setFaults({ latencyMs: 1_000 });
      await collect(client.resellerBalance());
      await collect(
        createYayClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, credentials }).resellerBalance(),
      );
      await collect(client.createCustomer({ ...sampleCustomerInput('c1', 'x'), users: [] }));

      expect(errors).toHaveLength(8);
      for (const error of errors) {
        expect(error).toBeInstanceOf(Error);
        const exposed = exposeError(error);
        expect(exposed).not.toContain(PASSWORD);
        expect(exposed).not.toContain(wrongPassword);
        expect(exposed).not.toContain('test-only-store-password');
      }
      expect(errors.map((error) => (error as Error).name)).toEqual([
        'YayAuthFailed',
        'YayRejected',
        'YayUnavailable',
        'YayUnavailable',
        'YayUnavailable',
        'YayUnavailable',
        'YayUnavailable',
        'OrderInvalid',
      ]);
    });

    it('redacts a credential a transport error happens to quote', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: (async () => {
          throw new TypeError('fetch failed', {
            cause: new Error(`socket hang up while sending ${PASSWORD}`),
          });
        }) as typeof fetch,
      });
      const error = await client.listCustomers().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect(exposeError(error)).not.toContain(PASSWORD);
      expect(exposeError(error)).toContain('[redacted]');
    });
  });

  describe('customers', () => {
    it('returns the uuid of a created customer and lists it', async () => {
      const client = yay.client();
      const created = await client.createCustomer(
        sampleCustomerInput('cabc', yay.sandbox.storeFronts[0]?.uuid ?? ''),
      );
      expect(created.uuid).toMatch(/^[0-9a-f-]{36}$/);
      await expect(client.listCustomers()).resolves.toEqual([
        {
          uuid: created.uuid,
          name: 'cabc',
          contact_name: 'Geoff Wilson',
          store_front: yay.sandbox.storeFronts[0]?.uuid,
        },
      ]);
    });

    it('returns no uuid when the create answer omits it', async () => {
      yay.sandbox.setBehaviour({ omitUuidOnCreate: true });
      const created = await yay
        .client()
        .createCustomer(sampleCustomerInput('cnouuid', yay.sandbox.storeFronts[0]?.uuid ?? ''));
      expect(created).toEqual({});
      expect(yay.sandbox.state.customers).toHaveLength(1);
    });

    it('refuses an invalid create body before sending, naming the fields', async () => {
      const input = sampleCustomerInput('bad name!', yay.sandbox.storeFronts[0]?.uuid ?? '');
      const error = await yay
        .client()
        .createCustomer({
          ...input,
          users: [{ ...(input.users[0] as (typeof input.users)[0]), password: 'short' }],
        })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OrderInvalid);
      expect((error as Error).message).toMatch(/name:/);
      expect((error as Error).message).toMatch(/users\.0\.password/);
      expect(yay.sandbox.state.requests).toHaveLength(0);
    });

    it('lists store fronts', async () => {
      await expect(yay.client().listStoreFronts()).resolves.toEqual([
        { uuid: yay.sandbox.storeFronts[0]?.uuid, name: yay.sandbox.storeFronts[0]?.name },
      ]);
    });
  });

  describe('transferCredit', () => {
    async function customer(): Promise<string> {
      const { uuid } = await yay
        .client()
        .createCustomer(sampleCustomerInput('ctransfer', yay.sandbox.storeFronts[0]?.uuid ?? ''));
      return uuid ?? '';
    }

    it('moves the amount from the reseller to the customer, sent with three decimals', async () => {
      const uuid = await customer();
      yay.sandbox.setResellerBalance(12_000 as Millis);
      await yay.client().transferCredit(uuid, 10_000 as Millis);
      const state = yay.sandbox.state;
      expect(state.resellerBalance).toBe(2_000);
      expect(state.customers[0]?.balance).toBe(10_000);
    });

    it('throws YayRejected 400 and moves nothing when the reseller balance is too low, until topped up', async () => {
      const uuid = await customer();
      yay.sandbox.setResellerBalance(9_999 as Millis);
      const error = await yay
        .client()
        .transferCredit(uuid, 10_000 as Millis)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayRejected);
      expect((error as YayRejected).statusCode).toBe(400);
      expect(yay.sandbox.state.transfers).toHaveLength(0);
      yay.sandbox.setResellerBalance(10_000 as Millis);
      await yay.client().transferCredit(uuid, 10_000 as Millis);
      expect(yay.sandbox.state.resellerBalance).toBe(0);
    });

    it('refuses an amount below 0.010 before sending', async () => {
      const uuid = await customer();
      const before = yay.sandbox.state.requests.length;
      await expect(yay.client().transferCredit(uuid, 9 as Millis)).rejects.toThrow(OrderInvalid);
      await expect(yay.client().transferCredit(uuid, 10.5 as Millis)).rejects.toThrow(/10\.5/);
      expect(yay.sandbox.state.requests).toHaveLength(before);
    });

    it('accepts exactly 0.010', async () => {
      const uuid = await customer();
      await yay.client().transferCredit(uuid, 10 as Millis);
      expect(yay.sandbox.state.customers[0]?.balance).toBe(10);
    });

    it('throws YayRejected 404 for an unknown customer and refuses an empty uuid', async () => {
      const error = await yay
        .client()
        .transferCredit('00000000-0000-4000-8000-000000000000', 1000 as Millis)
        .catch((caught: unknown) => caught);
      expect((error as YayRejected).statusCode).toBe(404);
      await expect(yay.client().transferCredit(' ', 1000 as Millis)).rejects.toThrow(/uuid is empty/);
    });
  });

  describe('resellerBalance', () => {
    it('reads a balance sent as a number', async () => {
      yay.sandbox.setResellerBalance(10_500 as Millis);
      await expect(yay.client().resellerBalance()).resolves.toBe(10_500);
    });

    it('reads a balance sent as a string', async () => {
      yay.sandbox.setBehaviour({ amountsAs: 'string' });
      yay.sandbox.setResellerBalance(10_005 as Millis);
      await expect(yay.client().resellerBalance()).resolves.toBe(10_005);
    });

    it.each([
      ['30.299999999999997', 30_300],
      ['0.1', 100],
      ['-5.25', -5_250],
      ['"-5.250"', -5_250],
      ['"  7 "', 7_000],
      ['0', 0],
    ])('reads %s as %i thousandths', async (balance, expected) => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(`{"result":{"balance":${balance}},"status_code":200,"status_message":"OK"}`),
      });
      await expect(client.resellerBalance()).resolves.toBe(expected);
    });

    it.each([
      ['0.0001', /0\.0001.*more than three decimals/],
      ['"ten"', /"ten".*not a decimal/],
      ['null', /balance/],
    ])('throws YayUnavailable naming the value for an unreadable balance %s', async (balance, message) => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(`{"result":{"balance":${balance}},"status_code":200,"status_message":"OK"}`),
      });
      const error = await client.resellerBalance().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as Error).message).toMatch(message);
    });
  });

  describe('customerBalance', () => {
    async function fundedCustomer(name: string, amount = 2_500): Promise<{ uuid: string; name: string }> {
      const client = yay.client();
      const { uuid } = await client.createCustomer(
        sampleCustomerInput(name, yay.sandbox.storeFronts[0]?.uuid ?? ''),
      );
      await client.transferCredit(uuid ?? '', amount as Millis);
      return { uuid: uuid ?? '', name };
    }
    const readsSince = (from: number) =>
      yay.sandbox.state.requests.slice(from).map((entry) => `${entry.method} ${entry.path} ${entry.status}`);

    it('reads the documented per-customer command first, and only it, when it answers', async () => {
      const customer = await fundedCustomer('cdocumented');
      const from = yay.sandbox.state.requests.length;
      await expect(yay.client().customerBalance(customer)).resolves.toBe(2_500);
      expect(readsSince(from)).toEqual([`GET /account/reseller-balance/${customer.uuid} 200`]);
    });

    it('tries the command under the customer record next when the first candidate answers 404', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'reseller-uuid' });
      const customer = await fundedCustomer('cbeneath');
      const from = yay.sandbox.state.requests.length;
      await expect(yay.client().customerBalance(customer)).resolves.toBe(2_500);
      expect(readsSince(from)).toEqual([
        `GET /account/reseller-balance/${customer.uuid} 404`,
        `GET /account/reseller/${customer.uuid}/balance 200`,
      ]);
    });

    it('falls back to a balance field on the customer record when no balance command answers', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'none', balanceOnCustomerRecord: true });
      const customer = await fundedCustomer('crecord');
      const from = yay.sandbox.state.requests.length;
      await expect(yay.client().customerBalance(customer)).resolves.toBe(2_500);
      expect(readsSince(from)).toEqual([
        `GET /account/reseller-balance/${customer.uuid} 404`,
        `GET /account/reseller/${customer.uuid}/balance 404`,
        `GET /account/reseller/${customer.uuid} 200`,
      ]);
    });

    it('falls back to the balance call on behalf of the customer last, when nothing else answers', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'none', amountsAs: 'string' });
      const customer = await fundedCustomer('cbehalf');
      const from = yay.sandbox.state.requests.length;
      await expect(yay.client().customerBalance(customer)).resolves.toBe(2_500);
      expect(readsSince(from).slice(3)).toEqual([
        'GET /account/balance 200',
        'GET /account/balance 200',
        'GET /account/balance 200',
      ]);
      expect(yay.sandbox.state.requests.some((entry) => entry.authFor === 'cbehalf')).toBe(true);
    });

    it('returns undefined when no candidate answers a balance', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'none', authForBalance: 'rejected' });
      const customer = await fundedCustomer('cnobalance');
      await expect(yay.client().customerBalance(customer)).resolves.toBeUndefined();
    });

    it('returns undefined when X-Auth-For is ignored and the answer is the reseller balance', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'none', authForBalance: 'ignored' });
      const customer = await fundedCustomer('cignored');
      await expect(yay.client().customerBalance(customer)).resolves.toBeUndefined();
    });

    it('reads only the pinned candidate when the settings pin one, even if another would answer', async () => {
      const customer = await fundedCustomer('cpinned');
      const from = yay.sandbox.state.requests.length;
      const onBehalf = yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, customerBalance: 'auth-for' } });
      const onRecord = yay.client({
        settings: { ...DEFAULT_YAY_SETTINGS, customerBalance: 'customer-record' },
      });

      await expect(onBehalf.customerBalance(customer)).resolves.toBe(2_500);
      await expect(onRecord.customerBalance(customer)).resolves.toBeUndefined();
      expect(readsSince(from)).toEqual([
        'GET /account/balance 200',
        'GET /account/balance 200',
        'GET /account/balance 200',
        `GET /account/reseller/${customer.uuid} 200`,
      ]);
    });

    it('throws YayUnavailable from the first candidate, trying no other, when Yay is unavailable', async () => {
      const customer = await fundedCustomer('cdown');
      yay.sandbox.setFaults({ errorRate: 1 });
      await expect(yay.client().customerBalance(customer)).rejects.toBeInstanceOf(YayUnavailable);
      yay.sandbox.setFaults({ balanceUnavailableForMs: 60_000 });
      const from = yay.sandbox.state.requests.length;
      const error = await yay
        .client()
        .customerBalance(customer)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect(readsSince(from)).toEqual([`GET /account/reseller-balance/${customer.uuid} 503`]);
    });

    it('throws YayRateLimited rather than moving to the next candidate on a 429', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('{"result":{},"status_code":429,"status_message":"Too Many Requests"}', 429),
      });
      await expect(client.customerBalance({ uuid: 'u-1', name: 'c1' })).rejects.toBeInstanceOf(
        YayRateLimited,
      );
    });

    it("reads the reference's published answer of the per-customer command", async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(published('sub-reseller-balance-200.json')),
      });
      await expect(client.customerBalance({ uuid: 'u-1', name: 'c1' })).resolves.toBe(10_000);
    });

    it('reads a balance below zero, as a number or a string, once the customer has called past zero', async () => {
      const customer = await fundedCustomer('cnegative', 1_000);
      expect(yay.sandbox.spend(customer.uuid, 1_090 as Millis)).toBe(-90);
      await expect(yay.client().customerBalance(customer)).resolves.toBe(-90);
      yay.sandbox.setBehaviour({ amountsAs: 'string' });
      await expect(yay.client().customerBalance(customer)).resolves.toBe(-90);
    });

    it('asks on behalf of a customer created outside this product whose name has spaces', async () => {
      const outside = yay.sandbox.addCustomer({ name: 'Example Sub Reseller', balance: 4_200 as Millis });
      const client = yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, customerBalance: 'auth-for' } });
      await expect(client.customerBalance(outside)).resolves.toBe(4_200);
      expect(yay.sandbox.state.requests.at(-2)).toMatchObject({
        authFor: 'Example Sub Reseller',
        status: 200,
      });
    });

    it('skips the call on behalf of a customer whose name cannot travel in a header', async () => {
      const client = yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, customerBalance: 'auth-for' } });
      await expect(client.customerBalance({ uuid: 'u-1', name: 'Café Ltd' })).resolves.toBeUndefined();
      expect(yay.sandbox.state.requests).toHaveLength(0);
    });
  });

  describe('X-Auth-For', () => {
    it('sends a customer name with spaces inside it', async () => {
      await yay
        .client()
        .request('GET', '/account/balance', { authFor: 'Pete s Plumbing' })
        .catch(() => undefined);
      expect(yay.sandbox.state.requests[0]).toMatchObject({ authFor: 'Pete s Plumbing' });
    });

    it.each([' leading', 'trailing ', 'tab\tinside', 'line\nbreak', 'Café', ''])(
      'refuses %j before sending, naming it as not a valid header value',
      async (name) => {
        const error = await yay
          .client()
          .request('GET', '/account/balance', { authFor: name })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(OrderInvalid);
        expect((error as Error).message).toContain(`${JSON.stringify(name)} is not a valid header value`);
        expect(yay.sandbox.state.requests).toHaveLength(0);
      },
    );
  });

  describe('customerBalanceHistory', () => {
    async function customerWithHistory(name: string): Promise<{ uuid: string; name: string }> {
      const client = yay.client();
      const { uuid } = await client.createCustomer(
        sampleCustomerInput(name, yay.sandbox.storeFronts[0]?.uuid ?? ''),
      );
      await client.transferCredit(uuid ?? '', 10_000 as Millis);
      yay.sandbox.spend(uuid ?? '', 12_500 as Millis);
      await client.transferCredit(uuid ?? '', 2_000 as Millis);
      return { uuid: uuid ?? '', name };
    }
    const ledger = [
      { change: 10_000, balance: 10_000, at: expect.any(String) },
      { change: -12_500, balance: -2_500, at: expect.any(String) },
      { change: 2_000, balance: -500, at: expect.any(String) },
    ];

    it('reads every transfer and spend as a signed ledger, oldest first, with instants', async () => {
      const customer = await customerWithHistory('cledger');
      const history = await yay.client().customerBalanceHistory(customer);
      expect(history).toEqual(ledger);
      const times = (history ?? []).map((entry) => entry.at);
      expect(times).toEqual([...times].sort());
      expect(times.every((time) => time === new Date(time).toISOString())).toBe(true);
      expect(yay.sandbox.state.requests.at(-1)?.path).toBe(
        `/account/reseller-balance/${customer.uuid}/history`,
      );
    });

    it('reads the same ledger from amounts sent as strings', async () => {
      yay.sandbox.setBehaviour({ amountsAs: 'string' });
      const customer = await customerWithHistory('cstrings');
      await expect(yay.client().customerBalanceHistory(customer)).resolves.toEqual(ledger);
    });

    it('tries the history under the customer record when the first candidate answers 404', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'reseller-uuid' });
      const customer = await customerWithHistory('cbeneath');
      const from = yay.sandbox.state.requests.length;
      await expect(yay.client().customerBalanceHistory(customer)).resolves.toEqual(ledger);
      expect(yay.sandbox.state.requests.slice(from).map((entry) => `${entry.path} ${entry.status}`)).toEqual([
        `/account/reseller-balance/${customer.uuid}/history 404`,
        `/account/reseller/${customer.uuid}/balance/history 200`,
      ]);
    });

    it('returns undefined when no candidate answers a history, or the pinned one does not', async () => {
      const customer = await customerWithHistory('cnohistory');
      const pinned = yay.client({
        settings: { ...DEFAULT_YAY_SETTINGS, balanceHistory: 'reseller-uuid-balance-history' },
      });
      await expect(pinned.customerBalanceHistory(customer)).resolves.toBeUndefined();
      yay.sandbox.setBehaviour({ balanceHistory: 'none' });
      await expect(yay.client().customerBalanceHistory(customer)).resolves.toBeUndefined();
    });

    it('returns undefined without a call when the history is switched off', async () => {
      const customer = await customerWithHistory('coff');
      const from = yay.sandbox.state.requests.length;
      const off = yay.client({ settings: { ...DEFAULT_YAY_SETTINGS, balanceHistory: 'none' } });
      await expect(off.customerBalanceHistory(customer)).resolves.toBeUndefined();
      expect(yay.sandbox.state.requests).toHaveLength(from);
    });

    it("returns undefined for the reference's example history, whose entry has no fields, trying no other path", async () => {
      yay.sandbox.setBehaviour({ balanceHistory: 'documented-example' });
      const customer = await customerWithHistory('cexample');
      const from = yay.sandbox.state.requests.length;
      await expect(yay.client().customerBalanceHistory(customer)).resolves.toBeUndefined();
      expect(yay.sandbox.state.requests).toHaveLength(from + 1);
      const fromPage = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(published('sub-reseller-balance-history-200.json')),
      });
      await expect(fromPage.customerBalanceHistory(customer)).resolves.toBeUndefined();
    });

    it('throws YayUnavailable rather than answering undefined when Yay is unavailable', async () => {
      const customer = await customerWithHistory('chistorydown');
      yay.sandbox.setFaults({ balanceUnavailableForMs: 60_000 });
      await expect(yay.client().customerBalanceHistory(customer)).rejects.toBeInstanceOf(YayUnavailable);
    });
  });

  describe('credit allocation', () => {
    async function customer(name: string): Promise<string> {
      const { uuid } = await yay
        .client()
        .createCustomer(sampleCustomerInput(name, yay.sandbox.storeFronts[0]?.uuid ?? ''));
      return uuid ?? '';
    }
    function recording(): { fetch: typeof fetch; calls: { method: string; url: string; body: string }[] } {
      const calls: { method: string; url: string; body: string }[] = [];
      return {
        calls,
        fetch: (async (url: string, init: RequestInit) => {
          calls.push({ method: String(init.method), url: String(url), body: String(init.body ?? '') });
          return fetch(url, init);
        }) as typeof fetch,
      };
    }

    it('sends the guide\'s PUT with exactly {"balance":"10.000"} by default', async () => {
      const uuid = await customer('cput');
      const seen = recording();
      await yay.client({ fetch: seen.fetch }).transferCredit(uuid, 10_000 as Millis);
      expect(seen.calls).toEqual([
        { method: 'PUT', url: `${yay.sandbox.url}/account/reseller/${uuid}`, body: '{"balance":"10.000"}' },
      ]);
      expect(yay.sandbox.state.customers[0]?.balance).toBe(10_000);
    });

    it('sends the allocation command with its net when configured, and the credit moves once', async () => {
      const uuid = await customer('callocate');
      const seen = recording();
      const client = yay.client({
        fetch: seen.fetch,
        settings: { ...DEFAULT_YAY_SETTINGS, creditAllocation: { command: 'allocate', net: 'true' } },
      });
      await client.transferCredit(uuid, 2_500 as Millis);
      expect(seen.calls).toEqual([
        {
          method: 'POST',
          url: `${yay.sandbox.url}/account/reseller-balance/${uuid}?net=true`,
          body: '{"balance":"2.500"}',
        },
      ]);
      expect(yay.sandbox.state.transfers).toEqual([
        { customerUuid: uuid, amount: 2_500, at: expect.any(Number) },
      ]);
      await expect(client.customerBalanceHistory({ uuid, name: 'callocate' })).resolves.toEqual([
        { change: 2_500, balance: 2_500, at: expect.any(String) },
      ]);
    });

    it('throws YayRejected 404 and moves nothing when the allocation command is not where it is sent', async () => {
      yay.sandbox.setBehaviour({ balanceCommands: 'reseller-uuid' });
      const uuid = await customer('celsewhere');
      const client = yay.client({
        settings: { ...DEFAULT_YAY_SETTINGS, creditAllocation: { command: 'allocate', net: 'true' } },
      });
      const error = await client.transferCredit(uuid, 2_500 as Millis).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayRejected);
      expect((error as YayRejected).statusCode).toBe(404);
      expect(yay.sandbox.state.transfers).toEqual([]);
    });
  });

  describe('the customer list', () => {
    it("reads the reference's published list, keeping none of a user's details", async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(published('sub-reseller-list-200.json')),
      });
      const customers = await client.listCustomers();
      expect(customers).toEqual([
        {
          uuid: '31347d42-00bd-44a5-9b5c-20dc4197a2f6',
          name: 'Example Sub Reseller',
          contact_name: "Pete's Plumbing and Electrical",
          store_front: '31347d42-00bd-44a5-9b5c-20dc4197a2f7',
        },
      ]);
      expect(JSON.stringify(customers)).not.toMatch(/password|pete_the_plumber|role_id/);
    });

    it("lists the sandbox's active customers in the documented shape, and no listed password goes further", async () => {
      const client = yay.client();
      const { uuid } = await client.createCustomer(
        sampleCustomerInput('cactive', yay.sandbox.storeFronts[0]?.uuid ?? ''),
      );
      const gone = await client.createCustomer(
        sampleCustomerInput('cgone', yay.sandbox.storeFronts[0]?.uuid ?? ''),
      );
      yay.sandbox.deactivate(gone.uuid ?? '');
      const outside = yay.sandbox.addCustomer({ name: 'Example Sub Reseller' });
      const raw = await client.request('GET', '/account/reseller');
      const customers = await client.listCustomers();

      expect(JSON.stringify(raw.result)).toContain(SANDBOX_LISTED_PASSWORD);
      expect(customers.map((customer) => customer.uuid)).toEqual([uuid, outside.uuid]);
      expect(customers.map((customer) => customer.name)).toEqual(['cactive', 'Example Sub Reseller']);
      expect(JSON.stringify(customers)).not.toContain(SANDBOX_LISTED_PASSWORD);
    });

    it('names the field, never a listed password, when a list item cannot be read', async () => {
      const body = JSON.stringify({
        result: [{ uuid: 'u-1', name: 42, users: [{ password: 'test-only-listed-password' }] }],
        status_code: 200,
        status_message: 'OK',
      });
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(body),
      });
      const error = await client.listCustomers().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayUnavailable);
      expect((error as Error).message).toMatch(/0\.name/);
      expect(exposeError(error)).not.toContain('test-only-listed-password');
    });
  });

  describe("Yay's status_message on errors", () => {
    const refusal = (status: number, message: string) =>
      createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch(
          JSON.stringify({ result: {}, status_code: status, status_message: message }),
          status,
        ),
      });

    it('keeps it, trimmed and on one line, on a definite refusal', async () => {
      const error = await refusal(400, '  Name already\n\tin use  ')
        .createCustomer(sampleCustomerInput('ctaken', 'front'))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(YayRejected);
      expect((error as Error).message).toBe(
        'POST /account/reseller: Yay refused the request (400); Yay said "Name already in use"',
      );
    });

    it('keeps the error name the state machine retries by: auth, throttle and outage stay what they were', async () => {
      const auth = await refusal(403, 'IP not allowed')
        .listCustomers()
        .catch((caught: unknown) => caught);
      const throttled = await refusal(429, 'Slow down')
        .listCustomers()
        .catch((caught: unknown) => caught);
      const down = await refusal(503, 'Maintenance')
        .listCustomers()
        .catch((caught: unknown) => caught);
      expect(auth).toBeInstanceOf(YayAuthFailed);
      expect((auth as Error).message).toMatch(/allow-list; Yay said "IP not allowed"$/);
      expect(throttled).toBeInstanceOf(YayRateLimited);
      expect((throttled as Error).message).toMatch(/Yay said "Slow down"$/);
      expect(down).toBeInstanceOf(YayUnavailable);
      expect((down as YayUnavailable).mayHaveReachedYay).toBe(true);
      expect((down as Error).message).toMatch(/503; Yay said "Maintenance"$/);
    });

    it('removes the credentials and the store password it quotes, before capping it', async () => {
      const input = sampleCustomerInput('cquoted', 'front');
      const quoted = `user ${credentials.user} with ${PASSWORD} may not set password test-only-store-password`;
      const error = await refusal(400, `${quoted} ${'x'.repeat(400)}`)
        .createCustomer(input)
        .catch((caught: unknown) => caught);
      const exposed = exposeError(error);
      expect(exposed).not.toContain(PASSWORD);
      expect(exposed).not.toContain('test-only-store-password');
      expect(exposed).not.toContain(credentials.user);
      expect((error as Error).message).toContain(
        'Yay said "user [redacted] with [redacted] may not set password [redacted] xxx',
      );
      const said = /Yay said "(.*)"$/.exec((error as Error).message)?.[1] ?? '';
      expect(said).toHaveLength(200);
      expect(said.endsWith('…')).toBe(true);
    });

    it('adds nothing when Yay sends no status_message', async () => {
      const client = createYayClient({
        baseUrl: 'https://api.yay.test',
        credentials,
        fetch: cannedFetch('{"result":{},"status_code":404}', 404),
      });
      await expect(client.listCustomers()).rejects.toThrow(
        /^GET \/account\/reseller: Yay refused the request \(404\)$/,
      );
    });
  });
});
