import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalSecretIds } from '../../local/aws/secrets';
import { startLocal } from '../../local/runtime/start-local';
import { sendStripeEvent, signStripe, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import { runOps } from '../../ops/cli';
import { type Millis, parseCredit } from '../../shared/domain/credit';
import { Samples, sampleJson, shopifyHeaders, Variants, wooHeaders } from '../fixtures/webhooks';
import {
  captureProcessOutput,
  E2E_SECRETS,
  e2eEnv,
  eventually,
  TEN_POUNDS,
  uniqueBuyer,
  useLocalMode,
  yayCustomersOf,
} from './support';

/**
 * Local mode end to end, in process: the same `startLocal` that `npm start` runs, driven over HTTP with
 * signed webhooks, against the Yay sandbox. One runtime for the file (the synthesis and dynalite are the
 * slow part); each test has its own buyers and sessions, and faults are cleared after each.
 */
describe('local mode', () => {
  const progress: string[] = [];
  const written: string[] = [];
  const RICH = 1_000_000 as Millis;

  const send = (event: Record<string, unknown>) =>
    sendStripeEvent(local.runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
  const sandbox = () => local.sandbox();
  /** `npm run ops -- …` against this runtime's data dir; resolves with the exit code and all output. */
  const ops = async (...args: string[]) => {
    const lines: string[] = [];
    const io = {
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
      env: e2eEnv(),
    };
    const code = await runOps([...args, '--data-dir', local.dataDir], io);
    return { code, text: lines.join('\n') };
  };
  const collect = () => {
    const lines: string[] = [];
    return {
      lines,
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
      env: e2eEnv(),
    };
  };
  const executionsOf = (orderKey: string) =>
    local.runtime.workflow.list().filter((record) => record.orderKey === orderKey);

  beforeAll(async () => {
    // Everything the process writes is kept for the no-secret check at the end.
    captureProcessOutput(written);
  });
  const local = useLocalMode('local', {
    maxWaitSeconds: 3,
    print: (line) => progress.push(line),
    resellerBalance: RICH,
  });

  afterEach(() => {
    sandbox().setFaults({});
    sandbox().setBehaviour({
      balanceCommands: 'reseller-balance',
      balanceHistory: 'ledger',
      balanceOnCustomerRecord: false,
      authForBalance: 'honoured',
    });
    sandbox().setResellerBalance(RICH);
  });

  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('answers GET /healthz with 200 and an unknown route with 404', async () => {
    const health = await fetch(`${local.runtime.url}/healthz`);
    const unknown = await fetch(`${local.runtime.url}/nope`);

    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(unknown.status).toBe(404);
  });

  it('loads the handlers without the X-Ray automatic context, whose async hook would track every promise', () => {
    // Tracing is off locally, so the context is never read; creating it (cls-hooked) cost a tenth of the CPU.
    const namespaces = (process as { namespaces?: Record<string, unknown> }).namespaces;

    expect(namespaces?.AWSXRay ?? undefined).toBeUndefined();
    expect(process.env.AWS_XRAY_MANUAL_MODE).toBe('true');
  });

  it('creates a store customer and moves the credit once when a paid checkout arrives', async () => {
    const buyer = uniqueBuyer('paid');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });
    const resellerBefore = sandbox().state.resellerBalance;

    const answer = await send(event);
    const order = await local.runtime.waitForOrder(stripeOrderKey(event));

    expect(answer.status).toBe(202);
    expect(order.state).toBe('fulfilled');
    expect(order.transfer).toMatchObject({ status: 'APPLIED', amount: 10_000 });
    const [customer, ...others] = yayCustomersOf(sandbox(), buyer);
    expect(others).toHaveLength(0);
    expect(customer?.balance).toBe(TEN_POUNDS);
    expect(customer?.transfers).toHaveLength(1);
    expect(customer?.users).toEqual([
      expect.objectContaining({ role_id: '3', email: buyer.email, hadPassword: true }),
    ]);
    expect(customer?.addresses).toHaveLength(1);
    expect(sandbox().state.resellerBalance).toBe(resellerBefore - 10_000);
    expect(progress).toContainEqual(
      expect.stringMatching(new RegExp(`${order.orderKey}\\s+Transfer credit\\s+ok`)),
    );
  });

  it('provisions paid Shopify and WooCommerce orders through their webhook routes', async () => {
    // The providers' documented payloads (one unit on Shopify, two on WooCommerce), priced by a GBP SKU of
    // the catalog the template gives the functions.
    const catalog = JSON.parse(process.env.CREDIT_CATALOG ?? '{}') as Record<string, Record<string, string>>;
    const [sku, prices] = Object.entries(catalog).find(([, byCurrency]) => byCurrency.GBP) ?? [];
    if (!sku || !prices?.GBP) throw new Error('the credit catalog has no GBP SKU');
    const price = parseCredit(prices.GBP);
    // The published samples with one credit line priced by that SKU, in GBP (hand-written variants).
    const shopifyBody = Variants.shopifyOrder(Samples.shopify.ordersPaid, {
      orderId: '820982911946154600',
      sku: { from: 'SKU2006-001', to: sku },
      currency: 'GBP',
    });
    const woo = sampleJson(Samples.woocommerce.order);
    woo.currency = 'GBP';
    woo.line_items[1].sku = sku;
    woo.line_items[1].quantity = 2;
    const wooBody = JSON.stringify(woo);

    const answers = await Promise.all([
      fetch(`${local.runtime.url}/webhooks/shopify`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...shopifyHeaders(shopifyBody, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET),
        },
        body: shopifyBody,
      }),
      fetch(`${local.runtime.url}/webhooks/woocommerce`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...wooHeaders(wooBody, 'order.updated', E2E_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET),
        },
        body: wooBody,
      }),
    ]);
    const keys = await Promise.all(
      answers.map(async (answer) => ((await answer.json()) as { orderKey: string }).orderKey),
    );
    const orders = await Promise.all(keys.map((key) => local.runtime.waitForOrder(key)));

    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    expect(keys).toEqual([expect.stringMatching(/^shopify:/), expect.stringMatching(/^woocommerce:/)]);
    expect(orders.map((order) => [order.state, order.transfer?.amount])).toEqual([
      ['fulfilled', price],
      ['fulfilled', 2 * price],
    ]);
  });

  it('waits for the payment, then credits once when an asynchronous checkout is confirmed', async () => {
    const buyer = uniqueBuyer('async');
    const placed = stripeCheckoutEvent({ buyer, paymentStatus: 'unpaid' });
    const orderKey = stripeOrderKey(placed);
    const sessionId = (placed.data as { object: { id: string } }).object.id;

    expect((await send(placed)).status).toBe(202);
    // Resolved by the change that put it there, its execution still running (waiting for the payment).
    expect(await local.runtime.waitForOrder(orderKey, 20_000, 'awaiting_payment')).toMatchObject({
      state: 'awaiting_payment',
    });
    const beforePayment = yayCustomersOf(sandbox(), buyer);
    const confirmed = stripeCheckoutEvent({
      buyer,
      sessionId,
      type: 'checkout.session.async_payment_succeeded',
    });
    expect((await send(confirmed)).status).toBe(202);
    const order = await local.runtime.waitForOrder(orderKey);

    expect(beforePayment.map((c) => c.transfers.length)).toEqual([0]);
    expect(order).toMatchObject({ state: 'fulfilled', payment: 'paid' });
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
    expect(executionsOf(orderKey)).toHaveLength(1);
  });

  it('rejects waitForOrder after its timeout naming the order and the state it is in', async () => {
    const buyer = uniqueBuyer('waittimeout');
    const placed = stripeCheckoutEvent({ buyer, paymentStatus: 'unpaid' });
    const orderKey = stripeOrderKey(placed);
    await send(placed);
    await local.runtime.waitForOrder(orderKey, 20_000, 'awaiting_payment');

    const [waiting, unknown, neverPaid] = await Promise.allSettled([
      local.runtime.waitForOrder(orderKey, 200),
      local.runtime.waitForOrder('stripe:default:cs_test_never_sent', 50),
      local.runtime.waitForOrder(orderKey, 200, 'fulfilled'),
    ]);

    expect(waiting).toMatchObject({
      status: 'rejected',
      reason: new Error(`order ${orderKey} did not finish within 200 ms (last state: awaiting_payment)`),
    });
    expect(neverPaid).toMatchObject({
      status: 'rejected',
      reason: new Error(
        `order ${orderKey} did not reach fulfilled within 200 ms (last state: awaiting_payment)`,
      ),
    });
    expect(unknown).toMatchObject({
      status: 'rejected',
      reason: new Error(
        'order stripe:default:cs_test_never_sent did not finish within 50 ms (last state: not recorded)',
      ),
    });
    // Its payment window (capped here) closes, so no execution of it outlives the test.
    await local.runtime.waitForOrder(orderKey);
  });

  it('runs one execution and credits once when a delivery is repeated concurrently and late', async () => {
    const buyer = uniqueBuyer('duplicate');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(event);

    const concurrent = await Promise.all(Array.from({ length: 5 }, () => send(event)));
    await local.runtime.waitForOrder(orderKey);
    const late = await send(event);
    await local.runtime.idle();

    expect(concurrent.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
    expect(late.status).toBeLessThan(300);
    expect(executionsOf(orderKey)).toHaveLength(1);
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
  });

  it('answers 401 and starts nothing when the signature is forged or missing', async () => {
    const buyer = uniqueBuyer('forged');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const body = JSON.stringify(event);
    const yayCallsBefore = sandbox().state.requests.length;

    const forged = await sendStripeEvent(local.runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event, {
      signature: signStripe(body, 'whsec_attacker-test-only-not-a-secret'),
    });
    const unsigned = await fetch(`${local.runtime.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await local.runtime.idle();

    expect(forged.status).toBe(401);
    expect(unsigned.status).toBe(401);
    expect(forged.body).not.toContain(E2E_SECRETS.STRIPE_WEBHOOK_SECRET);
    expect(await local.runtime.store.getOrder(stripeOrderKey(event))).toBeUndefined();
    expect(executionsOf(stripeOrderKey(event))).toHaveLength(0);
    expect(sandbox().state.requests.length).toBe(yayCallsBefore);
  });

  it('tops up the same Yay customer when a buyer pays twice', async () => {
    const buyer = uniqueBuyer('repeat');
    const first = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });
    const second = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '5.000' });

    await send(first);
    const firstOrder = await local.runtime.waitForOrder(stripeOrderKey(first));
    await send(second);
    const secondOrder = await local.runtime.waitForOrder(stripeOrderKey(second));

    const customers = yayCustomersOf(sandbox(), buyer);
    expect(customers).toHaveLength(1);
    expect(customers[0]?.balance).toBe(15_000);
    expect(customers[0]?.transfers.map((t) => t.amount)).toEqual([10_000, 5_000]);
    expect(secondOrder.customerUuid).toBe(firstOrder.customerUuid);
  });

  it('adopts the customer it created when the create response is lost', async () => {
    const buyer = uniqueBuyer('lostcreate');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    sandbox().setFaults({ dropNext: 'create' });

    await send(event);
    const order = await local.runtime.waitForOrder(stripeOrderKey(event));

    expect(sandbox().state.requests.some((r) => r.fault === 'dropped' && r.method === 'POST')).toBe(true);
    expect(order.state).toBe('fulfilled');
    const customers = yayCustomersOf(sandbox(), buyer);
    expect(customers.map((c) => [c.uuid, c.balance, c.transfers.length])).toEqual([
      [order.customerUuid, 10_000, 1],
    ]);
  });

  it('never credits twice when the transfer response is lost', async () => {
    const buyer = uniqueBuyer('losttransfer');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    sandbox().setFaults({ dropNext: 'transfer' });

    await send(event);
    const order = await local.runtime.waitForOrder(stripeOrderKey(event));

    expect(sandbox().state.requests.some((r) => r.fault === 'dropped' && r.method === 'PUT')).toBe(true);
    expect(order.state).toBe('fulfilled');
    const [execution] = executionsOf(order.orderKey);
    const states = local.runtime.workflow
      .history(execution?.executionArn ?? '')
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(states).toContain('Reconcile transfer');
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
  });

  it('keeps retrying while the reseller balance is too low and credits once after a top-up', async () => {
    const buyer = uniqueBuyer('lowbalance');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });
    const orderKey = stripeOrderKey(event);
    sandbox().setResellerBalance(5_000 as Millis);

    await send(event);
    await eventually('a ResellerBalanceTooLow retry of Transfer credit', () => {
      const [execution] = executionsOf(orderKey);
      if (!execution) return undefined;
      // Transfer credit is a bare function ARN: Step Functions records its failures as LambdaFunctionFailed.
      const history = local.runtime.workflow.history(execution.executionArn);
      return history.some((e) => e.lambdaFunctionFailedEventDetails?.error === 'ResellerBalanceTooLow')
        ? true
        : undefined;
    });
    const whileLow = await local.runtime.store.getOrder(orderKey);
    sandbox().setResellerBalance(RICH);
    const order = await local.runtime.waitForOrder(orderKey);

    expect(whileLow?.state).not.toBe('fulfilled');
    expect(order.state).toBe('fulfilled');
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
  });

  it('finishes exactly once through a storm of Yay 5xx answers', async () => {
    const buyer = uniqueBuyer('storm5xx');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    sandbox().setFaults({ errorRate: 1 });

    await send(event);
    await eventually('three injected 5xx answers', () =>
      sandbox().state.requests.filter((r) => r.fault === 'injected-error').length >= 3 ? true : undefined,
    );
    sandbox().setFaults({});
    const order = await local.runtime.waitForOrder(stripeOrderKey(event));

    expect(order.state).toBe('fulfilled');
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
  });

  it('finishes every order exactly once when Yay answers 429 above one concurrent request', async () => {
    const buyers = [1, 2, 3, 4].map((n) => uniqueBuyer(`storm429-${n}`));
    const events = buyers.map((buyer) => stripeCheckoutEvent({ buyer, paymentStatus: 'paid' }));
    sandbox().setFaults({ maxConcurrent: 1, latencyMs: 30 });

    await Promise.all(events.map((event) => send(event)));
    const orders = await Promise.all(
      events.map((event) => local.runtime.waitForOrder(stripeOrderKey(event), 60_000)),
    );

    expect(sandbox().state.requests.some((r) => r.fault === 'rate-limited')).toBe(true);
    expect(orders.map((order) => order.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    for (const buyer of buyers) {
      expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
        [10_000, 1],
      ]);
    }
  });

  it('shows an order with its transfer and timeline, and a replay moves no more credit', async () => {
    const buyer = uniqueBuyer('opsreplay');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(event);
    await send(event);
    await local.runtime.waitForOrder(orderKey);

    const status = await ops('status', orderKey);
    const listed = await ops('list', '--state', 'fulfilled');
    const replay = await ops('replay', orderKey, '--reason', 'e2e check');
    const replayed = await local.runtime.waitForOrder(orderKey);

    expect(status.code).toBe(0);
    expect(status.text).toMatch(/state\s+fulfilled/);
    expect(status.text).toMatch(/transfer\s+APPLIED 10\.000/);
    expect(status.text).toMatch(/TaskStateEntered\s+Transfer credit/);
    expect(listed.text).toContain(orderKey);
    expect(replay).toEqual({ code: 0, text: expect.stringMatching(/replayed .* as .*-r1$/) });
    expect(replayed).toMatchObject({ state: 'fulfilled', replays: 1 });
    expect(executionsOf(orderKey).map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
  });

  it('leaves an undecidable lost transfer to the operator, who resolves it as applied', async () => {
    const buyer = uniqueBuyer('undecidable');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(event);
    // No way to read a customer's balance, and the transfer's answer is lost: nothing can prove the outcome.
    sandbox().setBehaviour({
      balanceCommands: 'none',
      balanceOnCustomerRecord: false,
      authForBalance: 'rejected',
    });
    sandbox().setFaults({ dropNext: 'transfer' });

    await send(event);
    const review = await local.runtime.waitForOrder(orderKey);
    const refusedTwice = await ops('resolve-transfer', orderKey);
    const resolved = await ops(
      'resolve-transfer',
      orderKey,
      '--applied',
      '--reason',
      'checked in the Yay dashboard',
    );
    const after = await local.runtime.store.getOrder(orderKey);

    expect(review.state).toBe('needs_attention');
    expect(review.attention).toMatchObject({
      reason: 'transfer_review',
      action: expect.stringContaining('resolve-transfer'),
    });
    expect(review.transfer?.status).toBe('NEEDS_REVIEW');
    expect(refusedTwice.code).toBe(2);
    expect(refusedTwice.text).toContain('--applied or --not-applied');
    expect(resolved).toEqual({ code: 0, text: `transfer for ${orderKey} is now APPLIED` });
    expect(after).toMatchObject({ state: 'fulfilled', transfer: { status: 'APPLIED' } });
    expect(after?.attention).toBeUndefined();
    expect(after?.actions).toEqual([
      expect.objectContaining({
        action: 'resolve-transfer',
        detail: 'applied',
        reason: 'checked in the Yay dashboard',
      }),
    ]);
    expect(yayCustomersOf(sandbox(), buyer).map((c) => c.transfers.length)).toEqual([1]);
  });

  it('makes only read-only calls and reports what the Yay API leaves open on yay-check', async () => {
    const before = sandbox().state.requests.length;

    const check = await ops('yay-check');
    const calls = sandbox().state.requests.slice(before);

    expect(check.code).toBe(0);
    expect(check.text).toMatch(/ok +reseller-balance: balance [0-9.]+ sent as a number/);
    expect(check.text).toMatch(/ok +customer-balance-path: readable through/);
    expect(calls.length).toBeGreaterThan(3);
    expect(new Set(calls.map((call) => call.method))).toEqual(new Set(['GET']));
    expect(check.text).not.toContain(E2E_SECRETS.YAY_PASSWORD);
  });

  it('exits 1 naming an unknown order or a stopped runtime, and 2 naming a bad flag or state', async () => {
    const emptyDir = mkdtempSync(join(tmpdir(), 'yay-e2e-empty-'));
    try {
      const unknown = await ops('status', 'stripe:default:cs_test_nope');
      const badFlag = await ops('list', '--colour');
      const badState = await ops('list', '--state', 'done');
      const stopped = await runOps(['list', '--data-dir', emptyDir], {
        out: () => {},
        err: () => {},
        env: {},
      });

      expect(unknown).toEqual({
        code: 1,
        text: expect.stringContaining('order stripe:default:cs_test_nope not found'),
      });
      expect(badFlag.code).toBe(2);
      expect(badFlag.text).toContain("Unknown option '--colour'");
      expect(badState.code).toBe(2);
      expect(badState.text).toContain('--state must be one of');
      expect(stopped).toBe(1);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  it('reads a deployed stack from its outputs with --aws, shows its egress IP, names a missing output or stack', async () => {
    const buyer = uniqueBuyer('opsaws');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    await send(event);
    await local.runtime.waitForOrder(stripeOrderKey(event));
    // Only CloudFormation is faked: the table and state machine named by the outputs are this runtime's,
    // reached through the same AWS_ENDPOINT_URL_* the handlers use.
    const cloudFormation = mockClient(CloudFormationClient);
    const outputs = (keys: string[]) => ({
      Stacks: [
        {
          StackName: 'YayProvisioning',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE' as const,
          Outputs: keys.map((OutputKey) => ({
            OutputKey,
            OutputValue: {
              TableName: local.runtime.info.tableName,
              StateMachineArn: local.runtime.info.stateMachineArn,
              YaySecretArn: LocalSecretIds.yay,
              EventBusName: local.runtime.info.eventBusName,
              // Documentation addresses (RFC 5737), as the stack joins two NAT gateways' Elastic IPs.
              YayEgressIp: '203.0.113.10, 203.0.113.11',
            }[OutputKey],
          })),
        },
      ],
    });
    try {
      cloudFormation
        .on(DescribeStacksCommand)
        .resolves(outputs(['TableName', 'StateMachineArn', 'YaySecretArn', 'EventBusName']));
      const status = await runOps(['status', stripeOrderKey(event), '--aws'], collect());
      // The deployed functions' Yay is this runtime's sandbox (the default would be the real API).
      const yayCheck = async (withEgress: boolean) => {
        const keys = ['TableName', 'StateMachineArn', 'YaySecretArn', 'EventBusName'];
        cloudFormation
          .on(DescribeStacksCommand)
          .resolves(outputs(withEgress ? [...keys, 'YayEgressIp'] : keys));
        const io = { ...collect(), env: e2eEnv({ YAY_API_BASE_URL: local.runtime.info.endpoints.yay }) };
        return { code: await runOps(['yay-check', '--aws'], io), text: io.lines.join('\n') };
      };
      const withEgress = await yayCheck(true);
      const withoutEgress = await yayCheck(false);
      cloudFormation.on(DescribeStacksCommand).resolves(outputs(['TableName']));
      const partial = collect();
      const partialCode = await runOps(['list', '--aws', '--stack', 'Other'], partial);
      cloudFormation
        .on(DescribeStacksCommand)
        .rejects(Object.assign(new Error('Stack with id Gone does not exist'), { name: 'ValidationError' }));
      const gone = collect();
      const goneCode = await runOps(['list', '--aws', '--stack', 'Gone'], gone);

      expect(status).toBe(0);
      expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
        StackName: 'YayProvisioning',
      });
      expect(withEgress.code).toBe(0);
      expect(withEgress.text).toContain(
        'Deployed functions call Yay from 203.0.113.10, 203.0.113.11 (output YayEgressIp): keep each on the Yay allow-list.',
      );
      expect(withEgress.text).toMatch(/ok +reseller-balance:/);
      expect(withoutEgress.code).toBe(0);
      expect(withoutEgress.text).toMatch(/ok +reseller-balance:/);
      expect(withoutEgress.text).not.toContain('YayEgressIp');
      expect(partialCode).toBe(1);
      expect(partial.lines.join('\n')).toContain('stack Other has no output StateMachineArn');
      expect(goneCode).toBe(1);
      expect(gone.lines.join('\n')).toContain(
        'cannot read stack Gone: ValidationError: Stack with id Gone does not exist',
      );
    } finally {
      cloudFormation.restore();
    }
  });

  it('runs the scheduled sweep and daily reconciliation with their schedule input, finding no drift', async () => {
    const buyer = uniqueBuyer('schedules');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    await send(event);
    await local.runtime.waitForOrder(stripeOrderKey(event));

    const sweep = (await local.runtime.runSchedule('sweep')) as {
      open: number;
      creditOwed: number;
      resellerBalance?: number;
    };
    const drift = (await local.runtime.runSchedule('daily-reconciliation')) as {
      recorded: number;
      drift: number;
    };

    expect(sweep).toMatchObject({ open: 0, creditOwed: 0, resellerBalance: sandbox().state.resellerBalance });
    expect(drift.recorded).toBeGreaterThan(0);
    expect(drift.drift).toBe(0);
  });

  it('refuses a bad configuration naming the variable and starts nothing', async () => {
    const untouched = join(local.dataDir, 'never-created');
    const start = (env: Record<string, string>) =>
      startLocal({ env: e2eEnv({ LOCAL_DATA_DIR: untouched, ...env }), print: () => undefined });

    await expect(start({ PORT: 'eighty' })).rejects.toThrow('environment variable PORT must be an integer');
    await expect(start({ LOCAL_MAX_WAIT_SECONDS: '-1' })).rejects.toThrow(
      'LOCAL_MAX_WAIT_SECONDS must be a positive number',
    );
    await expect(start({ LOCAL_LOG_FORMAT: 'xml' })).rejects.toThrow(
      'LOCAL_LOG_FORMAT must be "human" or "json"',
    );
    await expect(start({ YAY_API_BASE_URL: 'https://yay.example.com', YAY_STORE_FRONT: '' })).rejects.toThrow(
      'environment variable YAY_STORE_FRONT is required when YAY_API_BASE_URL is set',
    );
    await expect(start({ YAY_API_BASE_URL: 'not a url' })).rejects.toThrow('YAY_API_BASE_URL must be a URL');
    await expect(start({ CDK_CONTEXT_JSON: '{not json' })).rejects.toThrow(
      'environment variable CDK_CONTEXT_JSON must be a JSON object of context values',
    );
    expect(existsSync(untouched)).toBe(false);
  });

  it('prints no secret and no task token in any output', () => {
    const everything = [...progress, ...written].join('\n');
    const namingKey = readFileSync(join(local.dataDir, 'naming-key'), 'utf8').trim();

    expect(progress.length).toBeGreaterThan(20);
    for (const secret of [...Object.values(E2E_SECRETS), namingKey]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/local1\.[A-Za-z0-9_-]{20,}/);
  });

  // Last, over everything above: local mode enforces the template's IAM grants, and a green flow needs no more.
  it("made no call a function's role does not allow", () => {
    expect(local.runtime.iam.denials).toEqual([]);
  });
});
