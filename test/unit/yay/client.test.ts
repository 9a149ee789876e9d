import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
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
    async function fundedCustomer(name: string): Promise<{ uuid: string; name: string }> {
      const client = yay.client();
      const { uuid } = await client.createCustomer(
        sampleCustomerInput(name, yay.sandbox.storeFronts[0]?.uuid ?? ''),
      );
      await client.transferCredit(uuid ?? '', 2_500 as Millis);
      return { uuid: uuid ?? '', name };
    }

    it('reads the balance field of the customer record when there is one', async () => {
      const customer = await fundedCustomer('cbalance');
      await expect(yay.client().customerBalance(customer)).resolves.toBe(2_500);
      expect(yay.sandbox.state.requests.at(-1)).toMatchObject({
        method: 'GET',
        path: `/account/reseller/${customer.uuid}`,
      });
    });

    it('falls back to the balance call on behalf of the customer when the record has no balance', async () => {
      yay.sandbox.setBehaviour({ balanceOnCustomerRecord: false, amountsAs: 'string' });
      const customer = await fundedCustomer('cbehalf');
      await expect(yay.client().customerBalance(customer)).resolves.toBe(2_500);
      expect(yay.sandbox.state.requests.some((entry) => entry.authFor === 'cbehalf')).toBe(true);
    });

    it('returns undefined when neither path answers a balance', async () => {
      yay.sandbox.setBehaviour({ balanceOnCustomerRecord: false, authForBalance: 'rejected' });
      const customer = await fundedCustomer('cnobalance');
      await expect(yay.client().customerBalance(customer)).resolves.toBeUndefined();
    });

    it('returns undefined when X-Auth-For is ignored and the answer is the reseller balance', async () => {
      yay.sandbox.setBehaviour({ balanceOnCustomerRecord: false, authForBalance: 'ignored' });
      const customer = await fundedCustomer('cignored');
      await expect(yay.client().customerBalance(customer)).resolves.toBeUndefined();
    });

    it('throws rather than answering undecidable when Yay is unavailable', async () => {
      const customer = await fundedCustomer('cdown');
      yay.sandbox.setFaults({ errorRate: 1 });
      await expect(yay.client().customerBalance(customer)).rejects.toBeInstanceOf(YayUnavailable);
    });
  });
});
