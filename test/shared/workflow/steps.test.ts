import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_STORE_FRONT, startYaySandbox, type YaySandbox } from '../../../local/yay-sandbox/server';
import { OrderIncomplete, TransferOutcomeUnknown } from '../../../shared/errors';
import { MetricNames } from '../../../shared/metric-names';
import type { DynamoStore, NotificationStores } from '../../../shared/store/dynamo-store';
import { storeFrontLookup } from '../../../shared/store-fronts';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { createCustomer } from '../../../shared/workflow/create-customer';
import { reconcileTransfer } from '../../../shared/workflow/reconcile-transfer';
import { recordCustomer } from '../../../shared/workflow/record-customer';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import { createYayClient } from '../../../shared/yay/client';
import { customerName } from '../../../shared/yay/customer-name';
import { passwordKey } from '../../../shared/yay/password-box';
import type { YayApi } from '../../../shared/yay/types';
import { orderEvent, paymentFact } from './fixtures';
import { type WorkflowHarness, workflowHarness } from './harness';

const NAMING_KEY = 'test-only-naming-key-not-a-secret';
const TOKEN = 'test-only-task-token-not-a-secret';
const PASSWORD_KEY = passwordKey('test-only-password-key-not-a-secret-0000');

describe('workflow steps', () => {
  const h = workflowHarness();
  let sandbox: YaySandbox;
  let store: DynamoStore;
  let notifications: NotificationStores;
  let yay: YayApi;
  let obs: WorkflowHarness['obs'];

  afterAll(async () => {
    await sandbox?.stop();
  });
  beforeEach(async () => {
    await sandbox?.stop();
    sandbox = await startYaySandbox();
    // These steps talk HTTP to the Yay sandbox, not to the harness's FakeYay.
    yay = createYayClient({ baseUrl: sandbox.url, credentials: sandbox.credentials, timeoutMs: 2_000 });
    ({ store, notifications, obs } = h);
  });

  const customerDeps = () => ({
    ...obs.observability,
    buyers: store,
    yay,
    namingKey: async () => NAMING_KEY,
    passwordKey: async () => PASSWORD_KEY,
    passwords: notifications.passwords,
    storeFrontFor: storeFrontLookup({ default: DEFAULT_STORE_FRONT.uuid, stores: {} }),
  });
  const paymentDeps = () => ({
    ...obs.observability,
    orders: store,
    workflow: h.deps.workflow,
  });

  describe('createCustomer', () => {
    it('creates a store customer named by the buyer key, with one store user and one address', async () => {
      const order = orderEvent();
      const ref = await createCustomer(customerDeps(), { order });
      expect(ref).toMatchObject({ name: customerName(order.buyerKey ?? '', NAMING_KEY), created: true });
      const [created] = sandbox.state.customers;
      expect(sandbox.state.customers).toHaveLength(1);
      expect(created).toMatchObject({
        uuid: ref.uuid,
        contact_name: 'Geoff Wilson',
        store_front: DEFAULT_STORE_FRONT.uuid,
        users: [{ role_id: '3', email: 'geoff@example.com', hadPassword: true }],
        addresses: [{ street_one: 'Westbury House', zip: 'GU2 4AW', country_code: 'GB' }],
      });
      expect(obs.recorded.metricTotal(MetricNames.CustomersCreated)).toBe(1);
    });

    it('adopts the customer by name instead of creating a second when run twice', async () => {
      const order = orderEvent();
      const first = await createCustomer(customerDeps(), { order });
      const second = await createCustomer(customerDeps(), { order });
      expect(second).toEqual({ ...first, created: false });
      expect(sandbox.state.customers).toHaveLength(1);
      expect(obs.recorded.metricTotal(MetricNames.CustomersCreated)).toBe(1);
    });

    it('reuses the recorded customer for a repeat buyer without calling Yay', async () => {
      const first = orderEvent();
      const ref = await createCustomer(customerDeps(), { order: first });
      await recordCustomer(
        { ...obs.observability, buyers: store, orders: store, events: h.outbound.events },
        { order: first, customer: ref },
      );
      const before = sandbox.state.requests.length;
      const repeat = orderEvent({ orderId: 'cs_test_order_2', address: undefined });
      expect(await createCustomer(customerDeps(), { order: repeat })).toEqual({
        ...ref,
        created: false,
        firstOrder: false,
      });
      expect(sandbox.state.requests.length).toBe(before);
    });

    it('parks a new buyer without an address as OrderIncomplete naming each missing field, and creates nothing', async () => {
      const order = orderEvent({ address: { zip: 'GU2 4AW', country_code: 'GB' } });

      const error = await createCustomer(customerDeps(), { order }).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(OrderIncomplete);
      expect((error as OrderIncomplete).fields).toEqual(['address.street_one', 'address.city']);
      expect((error as Error).message).toMatch(/address\.street_one, address\.city/);
      expect(sandbox.state.customers).toHaveLength(0);
    });

    it('parks a buyer the store sent without an e-mail or customer id, naming buyer.email', async () => {
      const { buyerKey: _none, ...order } = orderEvent();

      await expect(createCustomer(customerDeps(), { order })).rejects.toMatchObject({
        name: 'OrderIncomplete',
        fields: ['buyer.email'],
      });
      expect(sandbox.state.requests).toHaveLength(0);
    });

    it('names an e-mail that is not an address as missing, with the reason', async () => {
      const order = orderEvent({
        buyer: { name: 'Geoff Wilson', firstName: 'Geoff', lastName: 'Wilson', email: 'nope' },
      });

      await expect(createCustomer(customerDeps(), { order })).rejects.toThrow(
        /buyer\.email.*not a valid e-mail address/,
      );
    });

    it('tops up a repeat buyer whatever their order lacks: the address is only needed for a new customer', async () => {
      const first = orderEvent();
      const ref = await createCustomer(customerDeps(), { order: first });
      await recordCustomer(
        { ...obs.observability, buyers: store, orders: store, events: h.outbound.events },
        { order: first, customer: ref },
      );
      const { address: _none, ...again } = orderEvent({
        orderId: 'cs_test_order_2',
        orderKey: 'stripe:acct_test:cs_test_order_2',
      });

      await expect(createCustomer(customerDeps(), { order: again })).resolves.toMatchObject({
        uuid: ref.uuid,
        created: false,
      });
    });

    it('adopts the customer when the create answer is lost after Yay applied it', async () => {
      sandbox.setFaults({ dropNext: 'create' });
      const ref = await createCustomer(customerDeps(), { order: orderEvent() });
      expect(sandbox.state.customers).toHaveLength(1);
      expect(ref.uuid).toBe(sandbox.state.customers[0]?.uuid);
    });

    it("puts a listed store's new customer under that store's own store front, an unlisted one's under the default", async () => {
      const own = { uuid: '5a4d0000-0000-4000-8000-0000000000b2', name: 'Second shop' };
      await sandbox.stop();
      sandbox = await startYaySandbox({ storeFronts: [DEFAULT_STORE_FRONT, own] });
      yay = createYayClient({ baseUrl: sandbox.url, credentials: sandbox.credentials, timeoutMs: 2_000 });
      const deps = {
        ...customerDeps(),
        storeFrontFor: storeFrontLookup({
          default: DEFAULT_STORE_FRONT.uuid,
          stores: { 'second.myshopify.com': own.uuid },
        }),
      };
      const listed = orderEvent({
        provider: 'shopify',
        store: 'second.myshopify.com',
        orderKey: 'shopify:second.myshopify.com:1001',
        buyerKey: 'shopify:second.myshopify.com:buyer-1',
      });
      const unlisted = orderEvent({
        provider: 'shopify',
        store: 'first.myshopify.com',
        orderKey: 'shopify:first.myshopify.com:1001',
        buyerKey: 'shopify:first.myshopify.com:buyer-1',
      });

      const listedRef = await createCustomer(deps, { order: listed });
      const unlistedRef = await createCustomer(deps, { order: unlisted });

      const frontOf = (uuid: string) =>
        sandbox.state.customers.find((customer) => customer.uuid === uuid)?.store_front;
      expect(frontOf(listedRef.uuid)).toBe(own.uuid);
      expect(frontOf(unlistedRef.uuid)).toBe(DEFAULT_STORE_FRONT.uuid);
    });

    it('never logs the naming key or the Yay password', async () => {
      await createCustomer(customerDeps(), { order: orderEvent() });
      expect(obs.recorded.logText()).not.toContain(NAMING_KEY);
      expect(obs.recorded.logText()).not.toContain(sandbox.credentials.password);
    });
  });

  describe('recordCustomer', () => {
    it('writes one buyer mapping and the customer on the order however often it runs', async () => {
      const order = orderEvent();
      const deps = { ...obs.observability, buyers: store, orders: store, events: h.outbound.events };
      const customer = { uuid: 'uuid-1', name: 'cname', created: true };
      expect(await recordCustomer(deps, { order, customer })).toEqual({ paid: false });
      expect(await recordCustomer(deps, { order, customer })).toEqual({ paid: false });
      expect(await store.listCustomers()).toHaveLength(1);
      expect(await store.get(order.orderKey)).toMatchObject({
        customerUuid: 'uuid-1',
        customerName: 'cname',
      });
      expect(await store.listOpen()).toHaveLength(1);
    });

    it('says paid when the triggering event was a paid order', async () => {
      const deps = { ...obs.observability, buyers: store, orders: store, events: h.outbound.events };
      const customer = { uuid: 'uuid-1', name: 'cname', created: true };
      expect(await recordCustomer(deps, { order: orderEvent({ kind: 'paid' }), customer })).toEqual({
        paid: true,
      });
    });
  });

  describe('awaitPayment', () => {
    it('stores the token and waits when the order is unpaid, twice without effect', async () => {
      const order = orderEvent();
      await store.record(order, 'exec', obs.observability.now());
      expect(await awaitPayment(paymentDeps(), { orderKey: order.orderKey, taskToken: TOKEN })).toBe(
        'waiting',
      );
      expect(await awaitPayment(paymentDeps(), { orderKey: order.orderKey, taskToken: TOKEN })).toBe(
        'waiting',
      );
      expect(h.sfn.calls()).toHaveLength(0);
      expect((await store.get(order.orderKey))?.taskToken).toBe(TOKEN);
      expect(obs.recorded.logText()).not.toContain(TOKEN);
    });

    it('resumes at once when the order is already paid', async () => {
      const order = orderEvent({ kind: 'paid' });
      await store.record(order, 'exec', obs.observability.now());
      expect(await awaitPayment(paymentDeps(), { orderKey: order.orderKey, taskToken: TOKEN })).toBe(
        'resumed_paid',
      );
      expect(h.sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output).toBe('{"paid":true}');
      expect((await store.get(order.orderKey))?.taskToken).toBeUndefined();
    });

    it('fails the wait with PaymentFailed when the payment already failed', async () => {
      const order = orderEvent();
      await store.record(order, 'exec', obs.observability.now());
      await store.recordFact(order.orderKey, { ...paymentFact(), type: 'failure' }, obs.observability.now());
      expect(await awaitPayment(paymentDeps(), { orderKey: order.orderKey, taskToken: TOKEN })).toBe(
        'resumed_failed',
      );
      expect(h.sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
        error: 'PaymentFailed',
      });
    });

    it('throws OrderInvalid naming the order when it was never recorded', async () => {
      await expect(
        awaitPayment(paymentDeps(), { orderKey: 'stripe:acct_test:missing', taskToken: TOKEN }),
      ).rejects.toThrow(/stripe:acct_test:missing is not recorded/);
    });
  });

  describe('recordOutcome', () => {
    it('records the outcome and error once, closes the order and keeps a fulfilled order fulfilled', async () => {
      const order = orderEvent();
      await store.record(order, 'exec', obs.observability.now());
      const deps = { ...obs.observability, orders: store, transfers: store, events: h.outbound.events };
      const failed = {
        order,
        outcome: 'failed' as const,
        error: { Error: 'YayAuthFailed', Cause: 'x'.repeat(5000) },
      };
      expect(await recordOutcome(deps, failed)).toEqual({
        orderKey: order.orderKey,
        outcome: 'failed',
        applied: true,
      });
      expect(await recordOutcome(deps, failed)).toMatchObject({ applied: true });
      const stored = await store.get(order.orderKey);
      expect(stored).toMatchObject({ state: 'failed', lastError: { Error: 'YayAuthFailed' } });
      expect(stored?.lastError?.Cause).toHaveLength(2000);
      expect(await store.listOpen()).toHaveLength(0);

      await recordOutcome(deps, { order, outcome: 'fulfilled' });
      expect(await recordOutcome(deps, failed)).toEqual({
        orderKey: order.orderKey,
        outcome: 'fulfilled',
        applied: false,
      });
    });

    it('keeps why no credit moved when the transfer was skipped, and parks the order for a price', async () => {
      const order = orderEvent({ credit: { amount: null, currency: 'EUR', unpricedReason: 'no EUR price' } });
      await recordOutcome(
        { ...obs.observability, orders: store, transfers: store, events: h.outbound.events },
        {
          order,
          outcome: 'needs_attention',
          transfer: { status: 'SKIPPED', amount: 0, reason: 'no EUR price' },
        },
      );
      const stored = await store.get(order.orderKey);
      expect(stored?.lastError).toEqual({ Error: 'CreditSkipped', Cause: 'no EUR price' });
      expect(stored?.attention).toMatchObject({
        reason: 'unpriced',
        message: 'no EUR price',
        action: `npm run ops -- complete '${order.orderKey}' --credit <amount, e.g. 10.000>`,
      });
      expect(await store.listAttention()).toEqual([expect.objectContaining({ orderKey: order.orderKey })]);
      expect(obs.recorded.metricTotal(MetricNames.OrdersNeedingAttention)).toBe(1);
    });

    it('parks an incomplete order with the fields a person must supply, named in the action', async () => {
      const order = orderEvent();
      await recordOutcome(
        { ...obs.observability, orders: store, transfers: store, events: h.outbound.events },
        {
          order,
          outcome: 'needs_attention',
          error: {
            Error: 'OrderIncomplete',
            Cause: JSON.stringify({
              errorType: 'OrderIncomplete',
              errorMessage: 'a new Yay customer needs buyer.firstName, address.street_one',
              trace: ['at createCustomer'],
            }),
          },
        },
      );

      expect((await store.get(order.orderKey))?.attention).toMatchObject({
        reason: 'missing_details',
        message: 'a new Yay customer needs buyer.firstName, address.street_one',
        fields: ['buyer.firstName', 'address.street_one'],
        action: `npm run ops -- complete '${order.orderKey}' --first-name … --street …`,
      });
    });

    it('does not expire an order whose payment arrived as the window closed: it reopens it for the sweep', async () => {
      const order = orderEvent();
      await store.record(order, 'exec', obs.observability.now());
      await store.recordFact(order.orderKey, paymentFact(), obs.observability.now());

      const recorded = await recordOutcome(
        { ...obs.observability, orders: store, transfers: store, events: h.outbound.events },
        { order, outcome: 'expired' },
      );

      expect(recorded.applied).toBe(false);
      const stored = await store.get(order.orderKey);
      expect(stored).toMatchObject({ state: 'open', payment: 'paid' });
      expect(stored?.outcome).toBeUndefined();
      expect((await store.listOpen()).map((o) => o.orderKey)).toEqual([order.orderKey]);
    });
  });

  describe('transferCredit over HTTP', () => {
    it('reconciles a transfer whose answer Yay dropped after applying it, moving the credit once', async () => {
      const order = orderEvent({ kind: 'paid' });
      await store.record(order, 'exec', obs.observability.now());
      const customer = await createCustomer(customerDeps(), { order });
      const deps = { ...obs.observability, orders: store, transfers: store, leases: store, yay };
      sandbox.setFaults({ dropNext: 'transfer' });
      await expect(transferCredit(deps, { order, customer })).rejects.toBeInstanceOf(TransferOutcomeUnknown);
      const decision = await reconcileTransfer({ ...deps }, order.orderKey);
      expect(decision.decision).toBe('applied');
      await expect(transferCredit(deps, { order, customer })).resolves.toEqual({
        status: 'APPLIED',
        amount: 10_000,
        factCount: 0,
      });
      expect(sandbox.state.transfers).toHaveLength(1);
      expect(sandbox.state.customers[0]?.balance).toBe(10_000);
    });
  });
});
