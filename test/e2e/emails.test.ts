import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { consoleIntegrations } from '../../console/integrations';
import { listOutbox, type OutboxMessage } from '../../local/aws/outbox';
import { sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import { runOps } from '../../ops/cli';
import { operatorDeps, operatorObservability, runtimeTarget } from '../../ops/target';
import type { Millis } from '../../shared/domain/credit';
import { OUTBOUND_SOURCE } from '../../shared/domain/outbound-events';
import { captureProcessOutput, E2E_SECRETS, e2eEnv, uniqueBuyer, useLocalMode } from './support';

/**
 * Issue 10 end to end, in process: signed webhooks over HTTP into `startLocal`, whose SES stand-in writes every
 * message to the outbox and whose bus keeps every outbound event. What a buyer receives, and what other systems
 * are told, through duplicate deliveries, a replay and a repeat purchase.
 */
describe('telling the buyer and other systems', () => {
  const written: string[] = [];
  const progress: string[] = [];
  const opsOutput: string[] = [];

  const send = (event: Record<string, unknown>) =>
    sendStripeEvent(local.runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
  const ops = async (...args: string[]) => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: e2eEnv() };
    const code = await runOps([...args, '--data-dir', local.dataDir], io);
    opsOutput.push(...lines);
    return { code, text: lines.join('\n') };
  };
  const outboxFor = (email: string) =>
    listOutbox(local.runtime.outboxDir).filter((m) => m.to.includes(email));
  const body = (message: OutboxMessage | undefined) => readFileSync(message?.file ?? '', 'utf8');
  /** Every outbound event local mode's log group received, oldest first. */
  const published = () => {
    const file = local.runtime.info.outboundEventsFile;
    if (!file) throw new Error('the template has no outbound-events log group');
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as {
            source: string;
            'detail-type': string;
            detail: { eventId: string; orderKey: string } & Record<string, unknown>;
          },
      );
  };
  const eventsOf = (orderKey: string) => published().filter((event) => event.detail.orderKey === orderKey);

  /** A paid checkout, settled: its execution finished and every e-mail and event it caused delivered. */
  async function paidCheckout(event: Record<string, unknown>, deliveries = 1) {
    for (let i = 0; i < deliveries; i += 1) expect((await send(event)).status).toBe(202);
    const order = await local.runtime.waitForOrder(stripeOrderKey(event));
    await local.runtime.idle();
    return order;
  }

  beforeAll(async () => {
    captureProcessOutput(written);
  });
  const local = useLocalMode('emails', {
    maxWaitSeconds: 3,
    logFormat: 'json',
    print: (line) => progress.push(line),
    resellerBalance: 1_000_000 as Millis,
  });

  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('sends a new buyer exactly one welcome through duplicate deliveries and a replay', async () => {
    const buyer = uniqueBuyer('welcome');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });
    const orderKey = stripeOrderKey(event);

    const order = await paidCheckout(event, 3);
    const replay = await ops('replay', orderKey, '--force', '--reason', 'e2e: replay a fulfilled order');
    await local.runtime.waitForOrder(orderKey);
    await local.runtime.idle();

    expect(order.state).toBe('fulfilled');
    expect(replay.code).toBe(0);
    const messages = outboxFor(buyer.email);
    expect(messages.map((m) => m.subject)).toEqual(['Your calling account is ready']);
    const [welcome] = messages;
    expect(welcome).toMatchObject({ from: 'Yay Local <noreply@yay-provisioning.localhost>' });
    const text = body(welcome);
    expect(text).toMatch(/^To: /m);
    expect(text).toContain('Sign in at https://store.example/login');
    expect(text).toContain(`Login name: ${order.customerName}`);
    expect(text).toMatch(/Password: {3}\S{12,}/);
    expect(text).toContain('with £10.00 of credit');
    const status = await ops('status', orderKey);
    expect(status.text).toMatch(/e-mail +welcome SENT after 1 attempt/);
  });

  it('sends a repeat buyer a receipt with the credit and the new balance, and no second welcome', async () => {
    const buyer = uniqueBuyer('repeat');
    await paidCheckout(stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' }));
    const topUp = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '25.000' });

    await paidCheckout(topUp, 2);

    const messages = outboxFor(buyer.email);
    expect(messages.map((m) => m.subject)).toEqual([
      'Your calling account is ready',
      '£25.00 added to your calling account',
    ]);
    const receipt = body(messages[1]);
    expect(receipt).toContain(
      'We have added £25.00 of credit to your calling account. Your balance is now £35.00.',
    );
    expect(receipt).not.toMatch(/Password:/);
    const listed = await ops('outbox', '--order', stripeOrderKey(topUp));
    expect(listed.code).toBe(0);
    expect(listed.text).toContain('receipt');
    expect(listed.text).toContain(buyer.email);
    expect(listed.text).not.toContain('Your calling account is ready');
  });

  it('publishes each fact of an order once, with the same id on every copy a replay republishes', async () => {
    const buyer = uniqueBuyer('events');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });
    const orderKey = stripeOrderKey(event);
    const order = await paidCheckout(event, 2);
    const once = eventsOf(orderKey);

    await ops('replay', orderKey, '--force', '--reason', 'e2e: republish');
    await local.runtime.waitForOrder(orderKey);
    await local.runtime.idle();
    const after = eventsOf(orderKey);

    expect(once.map((e) => e['detail-type'])).toEqual([
      'Customer Created',
      'Credit Transferred',
      'Order Fulfilled',
    ]);
    for (const published of once) {
      expect(published.source).toBe(OUTBOUND_SOURCE);
      expect(published.detail).toMatchObject({
        version: '1',
        orderKey,
        buyerKey: order.buyerKey,
        customerName: order.customerName,
        customerUuid: order.customerUuid,
      });
    }
    expect(once[1]?.detail).toMatchObject({ amount: '10.000', balanceAfter: '10.000', currency: 'GBP' });
    // The replay republished the outcome (at least once): the same facts with the same ids.
    const ids = new Map(once.map((e) => [e['detail-type'], e.detail.eventId]));
    for (const copy of after) expect(copy.detail.eventId).toBe(ids.get(copy['detail-type']));
    expect(new Set(after.map((e) => e.detail.eventId)).size).toBe(3);
    const listed = await ops('events', '--order', orderKey);
    expect(listed.code).toBe(0);
    expect(listed.text).toContain(`Credit Transferred     ${ids.get('Credit Transferred')}  ${orderKey}`);
  });

  it('publishes Order Needs Attention with the reason and the command that resolves it', async () => {
    const buyer = uniqueBuyer('attention');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: 'ten pounds' });
    const orderKey = stripeOrderKey(event);

    const order = await paidCheckout(event);

    const attention = eventsOf(orderKey).filter((e) => e['detail-type'] === 'Order Needs Attention');
    expect(order.state).toBe('needs_attention');
    expect(attention).toHaveLength(1);
    expect(attention[0]?.detail).toMatchObject({
      reason: order.attention?.reason,
      action: order.attention?.action,
    });
  });

  it('sends the welcome again when a person asks, and records it on the order', async () => {
    const buyer = uniqueBuyer('resend');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(event);
    await paidCheckout(event);

    const resent = await ops('resend-welcome', orderKey, '--reason', 'buyer lost the e-mail');
    const status = await ops('status', orderKey);

    expect(resent).toMatchObject({ code: 0, text: `welcome for ${orderKey} sent again` });
    const messages = outboxFor(buyer.email);
    expect(messages.map((m) => m.subject)).toEqual([
      'Your calling account is ready',
      'Your calling account is ready',
    ]);
    expect(body(messages[1]).match(/Password: +(\S+)/)?.[1]).toBe(
      body(messages[0]).match(/Password: +(\S+)/)?.[1],
    );
    expect(status.text).toMatch(/resend-welcome.*buyer lost the e-mail/);
  });

  it('gives the console the order’s published events and a resend that goes through notify', async () => {
    const buyer = uniqueBuyer('console');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(event);
    await paidCheckout(event);
    const target = runtimeTarget(local.runtime.info, local.runtime.config.yayCredentials);
    const integrations = consoleIntegrations(
      target,
      operatorDeps(
        target,
        operatorObservability(() => undefined),
      ),
    );

    try {
      const events = await integrations.events?.(orderKey);
      const said = await integrations.resendWelcome?.(orderKey, 'e2e: from the console');
      await local.runtime.idle();

      expect(events?.map((e) => [e.detailType, e.eventId])).toEqual(
        eventsOf(orderKey).map((e) => [e['detail-type'], e.detail.eventId]),
      );
      expect(events?.find((e) => e.detailType === 'Credit Transferred')?.summary).toBe('10.000 GBP');
      expect(said).toBe(`The welcome for ${orderKey} was sent again.`);
      expect(outboxFor(buyer.email)).toHaveLength(2);
    } finally {
      target.close();
    }
  });

  it('keeps every password out of every output, log, execution history, event and file but the e-mail', async () => {
    const passwords = listOutbox(local.runtime.outboxDir)
      .map((message) => body(message).match(/Password: +(\S+)/)?.[1])
      .filter((password): password is string => password !== undefined);
    expect(passwords.length).toBeGreaterThan(2);

    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(local.dataDir);
    const outside = files.filter((file) => !relative(local.dataDir, file).startsWith('outbox'));
    expect(outside.some((file) => file.endsWith('executions.jsonl'))).toBe(true);
    for (const password of passwords) {
      for (const file of outside) {
        expect(readFileSync(file).includes(password), relative(local.dataDir, file)).toBe(false);
      }
      expect(written.join('')).not.toContain(password);
      expect(progress.join('\n')).not.toContain(password);
      expect(opsOutput.join('\n')).not.toContain(password);
    }
  });

  // Last, over everything above: local mode enforces the template's IAM grants, and a green flow needs no more.
  it("made no call a function's role does not allow", () => {
    expect(local.runtime.iam.denials).toEqual([]);
  });
});
