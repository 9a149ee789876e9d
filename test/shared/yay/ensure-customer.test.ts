import { describe, expect, it, vi } from 'vitest';
import { YayAuthFailed, YayRejected, YayUnavailable } from '../../../shared/errors';
import {
  CustomerNameNotListed,
  ensureCustomer,
  storeCustomerInput,
} from '../../../shared/yay/ensure-customer';
import { generateStorePassword } from '../../../shared/yay/store-password';
import type { YayApi } from '../../../shared/yay/types';
import { exposeError, sampleCustomerInput, useYaySandbox } from '../../helpers/yay-sandbox';

describe('ensureCustomer', () => {
  const yay = useYaySandbox();
  const input = (name = 'cqz7k2m4n5p6r7s8t9v2w') =>
    sampleCustomerInput(name, yay.sandbox.storeFronts[0]?.uuid ?? '');

  it('creates the customer and reports created when the name is new', async () => {
    const result = await ensureCustomer(yay.client(), input());
    const { customers, requests } = yay.sandbox.state;
    expect(customers).toHaveLength(1);
    expect(result).toEqual({ uuid: customers[0]?.uuid, created: true });
    // Create first: no list call on the happy path.
    expect(requests.map((entry) => `${entry.method} ${entry.path}`)).toEqual(['POST /account/reseller']);
  });

  it('adopts the existing customer with created false when run a second time', async () => {
    const first = await ensureCustomer(yay.client(), input());
    const second = await ensureCustomer(yay.client(), input());
    expect(second).toEqual({ uuid: first.uuid, created: false });
    expect(yay.sandbox.state.customers).toHaveLength(1);
  });

  it('leaves exactly one customer when the create answer is lost after it was applied', async () => {
    yay.sandbox.setFaults({ dropNext: 'create' });
    const result = await ensureCustomer(yay.client(), input());
    const { customers } = yay.sandbox.state;
    expect(customers).toHaveLength(1);
    expect(result).toEqual({ uuid: customers[0]?.uuid, created: true });
  });

  it('leaves exactly one customer when the create answer is cut off mid-body', async () => {
    yay.sandbox.setFaults({ truncateNext: 'create' });
    const result = await ensureCustomer(yay.client(), input());
    expect(yay.sandbox.state.customers.map((customer) => customer.uuid)).toEqual([result.uuid]);
  });

  it('leaves exactly one customer when the first create times out and the retry meets the duplicate', async () => {
    // Yay holds the create past the client's timeout, so the attempt gives up and its look-up finds nothing;
    // released, the sandbox still applies it (as Yay would); the state machine's retry then adopts.
    yay.sandbox.setFaults({ holdNext: 'create' });
    await expect(ensureCustomer(yay.client({ timeoutMs: 500 }), input())).rejects.toBeInstanceOf(
      YayUnavailable,
    );
    expect(yay.sandbox.state.customers).toHaveLength(0);
    yay.sandbox.release();
    await vi.waitFor(() => expect(yay.sandbox.state.customers).toHaveLength(1), {
      timeout: 10_000,
      interval: 5,
    });
    const retry = await ensureCustomer(yay.client(), input());
    expect(yay.sandbox.state.customers).toHaveLength(1);
    expect(retry).toEqual({ uuid: yay.sandbox.state.customers[0]?.uuid, created: false });
  });

  it('creates one customer when two attempts race on the same name', async () => {
    const results = await Promise.all([
      ensureCustomer(yay.client(), input()),
      ensureCustomer(yay.client(), input()),
    ]);
    expect(yay.sandbox.state.customers).toHaveLength(1);
    expect(results.map((result) => result.uuid)).toEqual([
      yay.sandbox.state.customers[0]?.uuid,
      yay.sandbox.state.customers[0]?.uuid,
    ]);
    expect(results.map((result) => result.created).sort()).toEqual([false, true]);
  });

  it('looks the name up when the create answer carries no uuid', async () => {
    yay.sandbox.setBehaviour({ omitUuidOnCreate: true });
    const result = await ensureCustomer(yay.client(), input());
    expect(result).toEqual({ uuid: yay.sandbox.state.customers[0]?.uuid, created: true });
  });

  it('rethrows the original unknown-outcome error when the name is not found afterwards', async () => {
    const client = yay.client();
    const lost = new YayUnavailable('POST /account/reseller: Yay answered 502', true);
    const api: YayApi = { ...client, createCustomer: vi.fn().mockRejectedValue(lost) };
    await expect(ensureCustomer(api, input())).rejects.toBe(lost);
    expect(yay.sandbox.state.requests.map((entry) => entry.path)).toEqual(['/account/reseller']);
  });

  it('sends a 400 that is not a duplicate name to a person, leaving no customer', async () => {
    const error = await ensureCustomer(
      yay.client(),
      sampleCustomerInput('cunknownfront', 'no-such-store-front'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CustomerNameNotListed);
    expect((error as YayRejected).statusCode).toBe(400);
    expect((error as Error).message).toMatch(/the 400 refused the body \(store front, user or address\)/);
    expect(yay.sandbox.state.customers).toHaveLength(0);
  });

  it('sends a duplicate whose name the active-only list does not show to a person, with one create and one list', async () => {
    const { uuid } = await yay.client().createCustomer(input());
    yay.sandbox.deactivate(uuid ?? '');
    const before = yay.sandbox.state.requests.length;

    const error = await ensureCustomer(yay.client(), input()).catch((caught: unknown) => caught);

    // The contract name the state machine catches as definite (outcome failed, ops replay), never a retry.
    expect(error).toBeInstanceOf(CustomerNameNotListed);
    expect(error).toBeInstanceOf(YayRejected);
    expect((error as Error).name).toBe('YayRejected');
    expect((error as YayRejected).statusCode).toBe(400);
    expect((error as Error).message).toBe(
      'POST /account/reseller: Yay refused the request (400); Yay said "Bad Request"; and GET /account/reseller ' +
        '(active customers only) does not list cqz7k2m4n5p6r7s8t9v2w. In the Yay dashboard, check whether a ' +
        "deactivated customer holds the name cqz7k2m4n5p6r7s8t9v2w: reactivate it if it is this buyer's, then ops " +
        'replay adopts it (as it does a customer created moments ago that the list did not show yet); if no ' +
        'customer holds it, the 400 refused the body (store front, user or address): fix that, then ops replay.',
    );
    expect((error as Error).cause).toBeInstanceOf(YayRejected);
    expect(exposeError(error)).not.toContain('test-only-store-password');
    expect(yay.sandbox.state.requests.slice(before).map((entry) => `${entry.method} ${entry.path}`)).toEqual([
      'POST /account/reseller',
      'GET /account/reseller',
    ]);
  });

  it('adopts a customer whose name has spaces when the list shows it', async () => {
    const api: YayApi = {
      ...yay.client(),
      createCustomer: vi.fn().mockRejectedValue(new YayRejected('POST /account/reseller: 400', 400)),
    };
    const outside = yay.sandbox.addCustomer({ name: 'Example Sub Reseller' });
    await expect(ensureCustomer(api, { ...input(), name: 'Example Sub Reseller' })).resolves.toEqual({
      uuid: outside.uuid,
      created: false,
    });
  });

  it('rethrows without looking up when the request certainly never reached Yay', async () => {
    const listCustomers = vi.fn();
    const api = {
      createCustomer: vi.fn().mockRejectedValue(new YayUnavailable('refused', false)),
      listCustomers,
    } as unknown as YayApi;
    await expect(ensureCustomer(api, input())).rejects.toMatchObject({ mayHaveReachedYay: false });
    expect(listCustomers).not.toHaveBeenCalled();
  });

  it('rethrows an auth failure untouched', async () => {
    const client = yay.client({
      credentials: { ...yay.sandbox.credentials, password: 'test-only-wrong-password' },
    });
    await expect(ensureCustomer(client, input())).rejects.toBeInstanceOf(YayAuthFailed);
  });

  it('asks for a retry when the uuid-less create is not listed yet', async () => {
    const api = {
      createCustomer: vi.fn().mockResolvedValue({}),
      listCustomers: vi.fn().mockResolvedValue([]),
    } as unknown as YayApi;
    const error = await ensureCustomer(api, input()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(YayUnavailable);
    expect((error as YayUnavailable).mayHaveReachedYay).toBe(true);
  });
});

describe('storeCustomerInput', () => {
  const yay = useYaySandbox();
  const params = () => ({
    name: 'cstoreinput',
    storeFront: yay.sandbox.storeFronts[0]?.uuid ?? '',
    buyer: { name: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
    address: { street_one: '1 Test Street', city: 'London', zip: 'N1 1AA', country_code: 'GB' },
    password: generateStorePassword(),
  });

  it('builds a body the sandbox accepts, with one store user and one address', async () => {
    const body = storeCustomerInput(params());
    await ensureCustomer(yay.client(), body);
    const [customer] = yay.sandbox.state.customers;
    expect(customer).toMatchObject({ name: 'cstoreinput', contact_name: 'Ada Lovelace' });
    expect(customer?.users).toEqual([
      expect.objectContaining({
        name: 'cstoreinput',
        role_id: '3',
        email: 'ada@example.com',
        hadPassword: true,
      }),
    ]);
    expect(customer?.addresses).toHaveLength(1);
  });

  it('sends the password it is given, which reaches nothing but the create body', async () => {
    const given = params();
    const body = storeCustomerInput(given);
    const password = body.users[0]?.password ?? '';
    expect(password).toBe(given.password);
    await ensureCustomer(yay.client(), body);
    expect(JSON.stringify(yay.sandbox.state)).not.toContain(password);
  });

  it('keeps the generated password out of errors when the create fails', async () => {
    const body = storeCustomerInput({ ...params(), storeFront: 'no-such-store-front' });
    const error = await ensureCustomer(yay.client(), body).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(YayRejected);
    expect(exposeError(error)).not.toContain(body.users[0]?.password);
  });
});
