import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SANDBOX_CREDENTIALS, SANDBOX_LISTED_PASSWORD } from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import { sampleCustomerInput } from '../../helpers/yay-sandbox';
import { AUTH, sandboxSuite } from './support';

describe('the Yay API as the sandbox answers it', () => {
  const { start, call, createCustomer } = sandboxSuite();

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
});
