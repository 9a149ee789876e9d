import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SANDBOX_CREDENTIALS,
  type SandboxAdmin,
  type SandboxOptions,
  startSandboxAdmin,
  startYaySandbox,
  type YaySandbox,
} from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import { sampleCustomerInput } from '../../helpers/yay-sandbox';
import { AUTH } from './support';

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
