import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEmailTemplates } from '../../../../infra/email-templates';
import {
  LocalSesError,
  listOutbox,
  localSesHandler,
  type OutboxMessage,
  sesSendEventDetail,
} from '../../../../local/aws/ses';
import { type LoopbackServer, listenLoopback } from '../../../../local/listen';
import type { OrderEvent } from '../../../../shared/domain/order-event';
import { OUTBOUND_SOURCE, Outbound, OutboundDetailTypes } from '../../../../shared/domain/outbound-events';
import { OrderInvalid } from '../../../../shared/errors';
import { MetricNames } from '../../../../shared/metric-names';
import type { DynamoStore, NotificationStores } from '../../../../shared/store/dynamo-store';
import { EmailKeys } from '../../../../shared/store/email-repository';
import { sesMailer } from '../../../../shared/workflow/mailer';
import {
  displayCredit,
  handleNotify,
  type NotifyDeps,
  recordSesEvent,
  resendWelcome,
  retryUnsent,
  sendReceipt,
  sendWelcome,
} from '../../../../shared/workflow/notify';
import { passwordKey, sealPassword } from '../../../../shared/yay/password-box';
import { FAKE_CREDENTIALS } from '../../../helpers/dynalite';
import { deferred } from '../fakes';
import { orderEvent, paymentFact } from '../fixtures';
import { type WorkflowHarness, workflowHarness } from '../harness';

const KEY = passwordKey('test-only-password-key-not-a-secret-0000');
const PASSWORD = 'Test-only-Passw0rd-not-a-secret';
const CUSTOMER = 'ctestnotifycustomer00';
const CUSTOMER_UUID = '00000000-0000-4000-8000-000000000077';
const LOGIN_URL = 'https://store.example/login';
const TEMPLATES = { welcome: 'test-welcome', receipt: 'test-receipt' };

/**
 * The e-mail use cases against the real table (dynalite) and the real SES v2 client and adapter, talking HTTP to
 * local mode's SES stand-in, which renders the app's own templates into an outbox folder.
 */
describe('buyer e-mails', () => {
  const h = workflowHarness();
  let ses: LoopbackServer;
  let outbox: string;
  let store: DynamoStore;
  let notifications: NotificationStores;
  let obs: WorkflowHarness['obs'];
  let accepted: OutboxMessage[];
  /** What the stand-in does before accepting the next SendEmail (hold it, refuse it). */
  let beforeSend: (() => Promise<void> | void) | undefined;
  let client: SESv2Client;

  beforeAll(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'yay-outbox-'));
    const parts = loadEmailTemplates();
    ses = await listenLoopback(
      localSesHandler({
        outboxDir: outbox,
        templates: new Map([
          [TEMPLATES.welcome, parts.welcome],
          [TEMPLATES.receipt, parts.receipt],
        ]),
        onAccepted: (message) => {
          accepted.push(message);
        },
        beforeSend: () => beforeSend?.(),
      }),
    );
    client = new SESv2Client({
      endpoint: ses.url,
      region: 'eu-west-2',
      credentials: FAKE_CREDENTIALS,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await ses.close();
    rmSync(outbox, { recursive: true, force: true });
  });
  beforeEach(async () => {
    ({ store, notifications, obs } = h);
    accepted = [];
    beforeSend = undefined;
    for (const message of listOutbox(outbox)) rmSync(message.file);
  });
  afterEach(() => {
    beforeSend = undefined;
  });

  const deps = (overrides: Partial<NotifyDeps> = {}): NotifyDeps => ({
    ...obs.observability,
    orders: store,
    buyers: store,
    ...notifications,
    passwordKey: async () => KEY,
    mailer: sesMailer(client, {
      sender: 'Test Shop <noreply@shop.example>',
      configurationSet: 'test-emails',
      templates: TEMPLATES,
    }),
    loginUrlFor: () => LOGIN_URL,
    ...overrides,
  });

  /** An order recorded as dispatch and record-customer leave it, its customer's password sealed. */
  async function recorded(event: OrderEvent, options: { paidLater?: boolean } = {}) {
    const now = obs.observability.now();
    await store.record(event, 'exec-1', now);
    await notifications.passwords.keep(CUSTOMER, sealPassword(PASSWORD, KEY, CUSTOMER), now);
    const mapping = await store.putCustomer(
      event.buyerKey ?? '',
      { uuid: CUSTOMER_UUID, name: CUSTOMER, orderKey: event.orderKey },
      now,
    );
    await store.recordCustomer(event, { uuid: CUSTOMER_UUID, name: CUSTOMER }, now);
    if (options.paidLater) {
      obs.advance(60);
      await store.recordFact(event.orderKey, paymentFact(), obs.observability.now());
    }
    return Outbound.customerCreated(
      {
        orderKey: event.orderKey,
        buyerKey: event.buyerKey,
        customerName: CUSTOMER,
        customerUuid: CUSTOMER_UUID,
      },
      new Date(mapping.createdAt),
    ).detail as Parameters<typeof sendWelcome>[1];
  }

  const text = (message: OutboxMessage | undefined) => readFileSync(message?.file ?? '', 'utf8');
  const creditTransferred = (event: OrderEvent, firstOrder: boolean, balanceAfter?: number) =>
    Outbound.creditTransferred(
      {
        orderKey: event.orderKey,
        buyerKey: event.buyerKey,
        customerName: CUSTOMER,
        customerUuid: CUSTOMER_UUID,
      },
      { amount: event.credit.amount ?? 0, firstOrder, ...(balanceAfter ? { balanceAfter } : {}) },
      obs.observability.now(),
    ).detail as Parameters<typeof sendReceipt>[1];

  it('sends one welcome with the sign-in address, login name and password, and marks it sent', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));

    const outcome = await sendWelcome(deps(), fact);

    expect(outcome).toMatchObject({ result: 'sent', status: 'SENT' });
    const [message] = listOutbox(outbox);
    expect(listOutbox(outbox)).toHaveLength(1);
    expect(message).toMatchObject({
      from: 'Test Shop <noreply@shop.example>',
      to: ['geoff@example.com'],
      subject: 'Your calling account is ready',
      configurationSet: 'test-emails',
      tags: { kind: 'welcome' },
    });
    const body = text(message);
    expect(body).toContain(`Sign in at ${LOGIN_URL}`);
    expect(body).toContain(`Login name: ${CUSTOMER}`);
    expect(body).toContain(`Password:   ${PASSWORD}`);
    // Paid before its customer was recorded: the credit moves right after, so the welcome names it.
    expect(body).toContain('with £10.00 of credit');
    const marker = await notifications.emails.get(EmailKeys.welcome(CUSTOMER));
    expect(marker).toMatchObject({ status: 'SENT', messageId: message?.messageId, attempts: 1 });
    expect(obs.recorded.metricTotal(MetricNames.EmailsSent)).toBe(1);
  });

  it('never puts the password in the marker, a log line or a metric', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));
    await sendWelcome(deps(), fact);
    const marker = await notifications.emails.get(EmailKeys.welcome(CUSTOMER));
    const sealed = await notifications.passwords.get(CUSTOMER);

    expect(JSON.stringify(marker)).not.toContain(PASSWORD);
    expect(sealed).not.toContain(PASSWORD);
    expect(obs.recorded.logText()).not.toContain(PASSWORD);
    expect(JSON.stringify(obs.recorded.metrics)).not.toContain(PASSWORD);
  });

  it('sends nothing more for a duplicate delivery, a replay or a resend of the same fact', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));
    await sendWelcome(deps(), fact);

    const again = await Promise.all([sendWelcome(deps(), fact), sendWelcome(deps(), fact)]);

    expect(again.map((outcome) => outcome.result)).toEqual(['held', 'held']);
    expect(listOutbox(outbox)).toHaveLength(1);
  });

  it('lets only one of two concurrent deliveries send, the other finding the claim', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));
    const gate = deferred();
    const entered = deferred();
    beforeSend = async () => {
      entered.resolve();
      await gate.promise;
    };

    const first = sendWelcome(deps(), fact);
    await entered.promise;
    const second = await sendWelcome(deps(), fact);
    gate.resolve();

    expect(second).toMatchObject({ result: 'held', status: 'SENDING' });
    expect(await first).toMatchObject({ result: 'sent' });
    expect(listOutbox(outbox)).toHaveLength(1);
  });

  it('names no credit in the welcome of an order paid after its customer was recorded, and sends its receipt', async () => {
    const event = orderEvent();
    const fact = await recorded(event, { paidLater: true });

    await sendWelcome(deps(), fact);
    const receipt = await sendReceipt(deps(), creditTransferred(event, true, 10_000));

    const [welcome, second] = listOutbox(outbox);
    expect(text(welcome)).not.toContain('of credit');
    expect(receipt).toMatchObject({ result: 'sent' });
    expect(second?.subject).toBe('£10.00 added to your calling account');
    expect(text(second)).toContain('Your balance is now £10.00');
  });

  it('sends no receipt for the first order when its welcome named the credit', async () => {
    const event = orderEvent({ kind: 'paid' });
    await recorded(event);

    const outcome = await sendReceipt(deps(), creditTransferred(event, true));

    expect(outcome).toMatchObject({ result: 'skipped', detail: 'the welcome named this credit' });
    expect(listOutbox(outbox)).toHaveLength(0);
  });

  it('sends a repeat order one receipt with the credit and the balance, however often it is told', async () => {
    const first = orderEvent({ kind: 'paid' });
    await recorded(first);
    const topUp = orderEvent({
      kind: 'paid',
      orderId: 'cs_test_topup',
      credit: { amount: 25_000, currency: 'GBP' },
    });
    await store.record(topUp, 'exec-2', obs.observability.now());

    const outcomes = [];
    for (let i = 0; i < 3; i += 1)
      outcomes.push(await sendReceipt(deps(), creditTransferred(topUp, false, 35_000)));

    expect(outcomes.map((o) => o.result)).toEqual(['sent', 'held', 'held']);
    const [receipt] = listOutbox(outbox);
    expect(listOutbox(outbox)).toHaveLength(1);
    expect(receipt?.subject).toBe('£25.00 added to your calling account');
    const body = text(receipt);
    expect(body).toContain(
      'We have added £25.00 of credit to your calling account. Your balance is now £35.00.',
    );
    expect(body).toContain(`with your login name ${CUSTOMER}`);
    expect(body).not.toContain(PASSWORD);
  });

  it('states a balance still below zero after the credit as negative, when the customer had called past zero', async () => {
    await recorded(orderEvent({ kind: 'paid' }));
    const topUp = orderEvent({
      kind: 'paid',
      orderId: 'cs_test_negative',
      credit: { amount: 2_000, currency: 'GBP' },
    });
    await store.record(topUp, 'exec-2', obs.observability.now());

    // The customer was at -3.500: the receipt's balance is -1.500, read as such, not refused as an amount.
    const outcome = await sendReceipt(deps(), creditTransferred(topUp, false, -1_500));

    expect(outcome).toMatchObject({ result: 'sent' });
    expect(text(listOutbox(outbox)[0])).toContain('Your balance is now -£1.50.');
  });

  it('settles a send whose answer was lost from SES’s own event, so the retry sends nothing more', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));
    // SES accepts the message, then the function dies before it records that (here: the write fails).
    const failing = deps({
      emails: {
        ...notifications.emails,
        markSent: async () => {
          throw new Error('the process died here');
        },
      },
    });
    await expect(sendWelcome(failing, fact)).rejects.toThrow('the process died here');
    expect((await notifications.emails.get(EmailKeys.welcome(CUSTOMER)))?.status).toBe('SENDING');

    const settled = await recordSesEvent(
      deps(),
      'Email Sent',
      sesSendEventDetail(accepted[0] as OutboxMessage),
    );
    obs.advance(3_600);
    const retried = await retryUnsent(deps(), { minAgeSeconds: 0 });

    expect(settled).toEqual({ key: EmailKeys.welcome(CUSTOMER), settled: true });
    expect(retried.retried).toEqual([]);
    expect(listOutbox(outbox)).toHaveLength(1);
    expect(await notifications.emails.get(EmailKeys.welcome(CUSTOMER))).toMatchObject({
      status: 'SENT',
      messageId: accepted[0]?.messageId,
    });
  });

  it('sends once, after the retry age, an e-mail whose attempt died before SES saw it', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));
    const attemptId = 'attempt-that-died';
    await notifications.emails.claim(
      { type: 'welcome', key: EmailKeys.welcome(CUSTOMER), orderKey: fact.orderKey, customerName: CUSTOMER },
      attemptId,
      obs.observability.now(),
    );

    const early = await retryUnsent(deps(), { minAgeSeconds: 600 });
    obs.advance(601);
    const late = await retryUnsent(deps(), { minAgeSeconds: 600 });
    const again = await retryUnsent(deps(), { minAgeSeconds: 600 });

    expect(early).toMatchObject({ retried: [], waiting: 1 });
    expect(late.retried).toMatchObject([{ result: 'sent' }]);
    expect(again.retried).toEqual([]);
    expect(listOutbox(outbox)).toHaveLength(1);
    expect(await notifications.emails.get(EmailKeys.welcome(CUSTOMER))).toMatchObject({
      status: 'SENT',
      attempts: 2,
    });
  });

  it('records, counts and retries a send SES could not take, without failing anything', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));
    beforeSend = () => {
      throw new LocalSesError('TooManyRequestsException', 'Maximum sending rate exceeded.', 429);
    };

    const outcome = await sendWelcome(deps(), fact);
    beforeSend = undefined;
    obs.advance(601);
    const retried = await retryUnsent(deps(), { minAgeSeconds: 600 });

    expect(outcome).toMatchObject({ result: 'failed', status: 'FAILED' });
    expect(outcome.detail).toMatch(/TooManyRequestsException/);
    expect(obs.recorded.metricTotal(MetricNames.EmailsFailed)).toBe(1);
    expect(retried.retried).toMatchObject([{ result: 'sent' }]);
    expect(listOutbox(outbox)).toHaveLength(1);
  });

  it('leaves a refused send to a person (final, out of the retry queue) until resend-welcome sends it', async () => {
    const event = orderEvent({ kind: 'paid' });
    const fact = await recorded(event);
    beforeSend = () => {
      throw new LocalSesError('MessageRejected', 'Email address is not verified.', 400);
    };

    const outcome = await sendWelcome(deps(), fact);
    beforeSend = undefined;
    obs.advance(3_600);
    const retried = await retryUnsent(deps(), { minAgeSeconds: 0 });
    const resent = await resendWelcome(deps(), event.orderKey, 'identity verified now', 'request-0001');
    const repeated = await resendWelcome(deps(), event.orderKey, 'identity verified now', 'request-0001');

    expect(outcome).toMatchObject({ result: 'failed' });
    expect(await notifications.emails.listUnsent()).toEqual([]);
    expect(retried.retried).toEqual([]);
    expect(resent).toMatchObject({ result: 'sent' });
    expect(repeated).toMatchObject({ result: 'held' });
    expect(listOutbox(outbox)).toHaveLength(1);
    const order = await store.get(event.orderKey);
    expect(order?.actions).toMatchObject([
      { action: 'resend-welcome', reason: 'identity verified now', detail: 'welcome sent again' },
    ]);
  });

  it('sends the welcome again on a person’s request, with the same login and password', async () => {
    const event = orderEvent({ kind: 'paid' });
    await sendWelcome(deps(), await recorded(event));

    const resent = await resendWelcome(deps(), event.orderKey, 'buyer lost it', 'request-0002');

    const messages = listOutbox(outbox);
    expect(resent).toMatchObject({ result: 'sent' });
    expect(messages).toHaveLength(2);
    expect(text(messages[1])).toContain(`Password:   ${PASSWORD}`);
    expect(await notifications.emails.get(EmailKeys.welcome(CUSTOMER))).toMatchObject({
      status: 'SENT',
      resends: 1,
    });
  });

  it('refuses to resend for an order without a customer, naming it', async () => {
    const event = orderEvent({ orderId: 'cs_no_customer' });
    await store.record(event, 'exec-3', obs.observability.now());

    await expect(resendWelcome(deps(), event.orderKey, 'why', 'request-0003')).rejects.toThrow(
      `order ${event.orderKey} has no Yay customer yet`,
    );
  });

  it('fails a welcome whose password no longer opens (the key was rotated) as final, showing no password', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));

    const outcome = await sendWelcome(
      deps({ passwordKey: async () => passwordKey('another-test-only-key-not-a-secret-0000') }),
      fact,
    );

    expect(outcome).toMatchObject({ result: 'failed', detail: expect.stringMatching(/does not open/) });
    expect(await notifications.emails.get(EmailKeys.welcome(CUSTOMER))).toMatchObject({
      status: 'FAILED',
      final: true,
    });
    expect(listOutbox(outbox)).toHaveLength(0);
    expect(obs.recorded.logText()).not.toContain(PASSWORD);
  });

  it('claims and sends nothing while e-mail is off (no sender configured)', async () => {
    const fact = await recorded(orderEvent({ kind: 'paid' }));

    const outcome = await sendWelcome(deps({ mailer: undefined }), fact);

    expect(outcome.result).toBe('off');
    expect(await notifications.emails.get(EmailKeys.welcome(CUSTOMER))).toBeUndefined();
    expect(listOutbox(outbox)).toHaveLength(0);
  });

  it('routes bus events and jobs, and refuses an input it does not know, naming what it got', async () => {
    const event = orderEvent({ kind: 'paid' });
    const fact = await recorded(event);
    const envelope = {
      source: OUTBOUND_SOURCE,
      'detail-type': OutboundDetailTypes.customerCreated,
      detail: fact,
    };

    const sent = await handleNotify(deps(), envelope, { minAgeSeconds: 600 });
    const settled = await handleNotify(
      deps(),
      {
        source: 'aws.ses',
        'detail-type': 'Email Sent',
        detail: sesSendEventDetail(accepted[0] as OutboxMessage),
      },
      { minAgeSeconds: 600 },
    );
    const unknown = handleNotify(
      deps(),
      { source: 'elsewhere', 'detail-type': 'Thing' },
      { minAgeSeconds: 0 },
    );
    const malformed = handleNotify(
      deps(),
      { ...envelope, detail: { ...fact, customerName: undefined } },
      { minAgeSeconds: 0 },
    );

    expect(sent).toMatchObject({ result: 'sent' });
    // Already settled by the send itself: SES's event finds nothing to change.
    expect(settled).toEqual({ key: EmailKeys.welcome(CUSTOMER), settled: false });
    await expect(unknown).rejects.toThrow(/source "elsewhere", detail-type "Thing"/);
    await expect(malformed).rejects.toBeInstanceOf(OrderInvalid);
    await expect(malformed).rejects.toThrow(/customerName/);
  });

  it('shows credit as a buyer reads it', () => {
    expect(displayCredit(10_000)).toBe('£10.00');
    expect(displayCredit(125)).toBe('£0.125');
    expect(displayCredit(-2_500)).toBe('-£2.50');
  });
});
