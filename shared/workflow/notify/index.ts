import { randomUUID } from 'node:crypto';
// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import { formatCredit, parseCredit, parseSignedCredit } from '../../domain/credit';
import {
  type CreditTransferred,
  CreditTransferredSchema,
  type CustomerCreated,
  CustomerCreatedSchema,
  OUTBOUND_SOURCE,
  OutboundDetailTypes,
} from '../../domain/outbound-events';
import { OrderInvalid } from '../../errors';
import { MetricNames } from '../../metric-names';
import type { BuyerStore } from '../../store/buyer-repository';
import type { EmailKind, EmailRecord, EmailStore } from '../../store/email-repository';
import { EmailKeys } from '../../store/email-repository';
import type { OrderRecord, OrderStore } from '../../store/order-repository';
import type { PasswordStore } from '../../store/password-repository';
import { openPassword } from '../../yay/password-box';
import { parseInput } from '../input';
import { EmailDeferred, EmailRefused, type Mailer } from '../mailer';
import type { Observability } from '../ports';

/**
 * The buyer e-mails (issue 10): one welcome per Yay customer, one receipt per later paid order, each at most once.
 *
 * The conditional marker (shared/store/email-repository.ts) is claimed before SES is called and settled after:
 * a retry, a duplicate delivery or a replay finds it claimed and sends nothing. What a crash leaves `SENDING` is
 * settled by SES itself — its "Email Sent" event carries the marker's key and attempt back (`recordSesEvent`) —
 * and only a claim older than the retry age with no such event is tried again (`retryUnsent`). A failed send is
 * recorded and counted (`EmailsFailed`, alarmed) and never touches the order.
 */
export interface NotifyDeps extends Observability {
  orders: Pick<OrderStore, 'get' | 'recordAction'>;
  buyers: Pick<BuyerStore, 'getCustomer'>;
  emails: EmailStore;
  passwords: PasswordStore;
  /** The key that opens sealed store passwords (Secrets Manager, cached). Never logged. */
  passwordKey: () => Promise<Buffer>;
  /** Undefined while e-mail is off (no sender configured): nothing is claimed or sent. */
  mailer: Mailer | undefined;
  /** The sign-in address for a store's buyers. */
  loginUrlFor: (store: string) => string;
  newAttemptId?: () => string;
}

/** What one notify call did with one e-mail. */
export interface EmailOutcome {
  key: string;
  /** `sent` by this call; `held` when another attempt holds or settled it; `failed` recorded; `off`/`skipped` nothing. */
  result: 'sent' | 'held' | 'failed' | 'off' | 'skipped';
  status?: EmailRecord['status'];
  detail?: string;
}

/** Automatic attempts per e-mail before it is left to a person (`ops resend-welcome`). */
export const MAX_EMAIL_ATTEMPTS = 6;

/** SES tag values allow `[A-Za-z0-9_-]` only, 256 at most: keys travel base64url-encoded. */
export function tagValue(text: string): string | undefined {
  const encoded = Buffer.from(text, 'utf8').toString('base64url');
  return encoded.length <= 256 ? encoded : undefined;
}

export function fromTagValue(value: string): string {
  return Buffer.from(value, 'base64url').toString('utf8');
}

/** Thousandths as a buyer reads them: £10.00, or £0.125 when there is a fraction of a penny. */
export function displayCredit(millis: number): string {
  const text = formatCredit(Math.abs(millis));
  const shown = text.endsWith('0') ? text.slice(0, -1) : text;
  return `${millis < 0 ? '-' : ''}£${shown}`;
}

/** The order an e-mail is about, with the buyer's address; EmailRefused when it cannot be addressed. */
async function addressedOrder(deps: NotifyDeps, orderKey: string) {
  const order = await deps.orders.get(orderKey);
  if (!order?.event) throw new EmailRefused(`order ${orderKey} is not recorded with its event`);
  const email = order.event.buyer?.email?.trim();
  if (!email) throw new EmailRefused(`order ${orderKey} has no buyer.email to write to`);
  return { order: order as OrderRecord & { event: NonNullable<OrderRecord['event']> }, email };
}

/** The greeting variables every template takes. */
function buyerData(order: OrderRecord & { event: NonNullable<OrderRecord['event']> }) {
  const buyer = order.event.buyer ?? {};
  return {
    firstName: buyer.firstName?.trim() || buyer.name?.trim() || 'there',
    lastName: buyer.lastName?.trim() ?? '',
    name: buyer.name?.trim() || [buyer.firstName, buyer.lastName].filter(Boolean).join(' '),
    orderId: order.event.orderId,
  };
}

/**
 * Whether the welcome names the order's credit: only when the order was paid by the time its customer was
 * recorded (the credit moves right after). An order paid later gets a receipt when its credit moves instead.
 */
function welcomeShowsCredit(order: OrderRecord, customerRecordedAt: string | undefined): boolean {
  return (
    order.paidAt !== undefined &&
    customerRecordedAt !== undefined &&
    order.paidAt <= customerRecordedAt &&
    (order.event?.credit.amount ?? 0) > 0
  );
}

interface Attempt {
  type: EmailKind;
  key: string;
  orderKey: string;
  customerName: string;
  amount?: string;
  balance?: string;
}

/**
 * Claims, builds and sends one e-mail, then settles its marker. `build` runs only under the claim: the password is
 * opened only for an attempt that will send it.
 */
async function attempt(
  deps: NotifyDeps,
  spec: Attempt,
  build: () => Promise<{ to: string; data: Record<string, string> }>,
  options: { staleBefore?: Date; resend?: boolean; requestId?: string } = {},
): Promise<EmailOutcome> {
  const mailer = deps.mailer;
  if (!mailer) return { key: spec.key, result: 'off', detail: 'e-mail is off: no sender is configured' };
  const attemptId = (deps.newAttemptId ?? randomUUID)();
  const claim = await deps.emails.claim(
    {
      type: spec.type,
      key: spec.key,
      orderKey: spec.orderKey,
      customerName: spec.customerName,
      ...(spec.amount ? { amount: spec.amount } : {}),
      ...(spec.balance ? { balance: spec.balance } : {}),
    },
    attemptId,
    deps.now(),
    options,
  );
  if (!claim.claimed) {
    deps.log.info('e-mail already claimed or sent; not sending', {
      email: spec.key,
      status: claim.record.status,
    });
    return { key: spec.key, result: 'held', status: claim.record.status };
  }
  let message: { to: string; data: Record<string, string> };
  try {
    message = await build();
  } catch (error) {
    // EmailRefused (no address, no password that opens) is final; a read that failed is tried again.
    return failed(deps, spec.key, attemptId, error);
  }
  const tags: Record<string, string> = { kind: spec.type, attempt: attemptId };
  const keyTag = tagValue(spec.key);
  const orderTag = tagValue(spec.orderKey);
  if (keyTag) tags.email = keyTag;
  if (orderTag) tags.order = orderTag;
  let messageId: string;
  try {
    messageId = await mailer.send({ template: spec.type, to: message.to, data: message.data, tags });
  } catch (error) {
    return failed(deps, spec.key, attemptId, error);
  }
  // False when SES's own "Email Sent" event settled it first: sent either way.
  await deps.emails.markSent(spec.key, attemptId, messageId, deps.now());
  deps.metrics.addMetric(MetricNames.EmailsSent, 'Count', 1);
  deps.log.info('e-mail sent', { email: spec.key, type: spec.type, messageId });
  return { key: spec.key, result: 'sent', status: 'SENT' };
}

async function failed(
  deps: NotifyDeps,
  key: string,
  attemptId: string,
  error: unknown,
): Promise<EmailOutcome> {
  const final = error instanceof EmailRefused;
  const reason =
    error instanceof EmailRefused || error instanceof EmailDeferred
      ? error.message
      : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`.slice(0, 300);
  await deps.emails.markFailed(key, attemptId, reason, deps.now(), { final });
  deps.metrics.addMetric(MetricNames.EmailsFailed, 'Count', 1);
  deps.log[final ? 'error' : 'warn'](
    final ? 'e-mail refused; a person must resend it' : 'e-mail not sent; it is retried',
    { email: key, reason },
  );
  return { key, result: 'failed', status: 'FAILED', detail: reason };
}

/** The welcome of a customer's first order: the store's sign-in address, the login name and the password. */
export async function sendWelcome(
  deps: NotifyDeps,
  fact: Pick<CustomerCreated, 'orderKey' | 'customerName' | 'occurredAt'>,
  options: { staleBefore?: Date; resend?: boolean; requestId?: string } = {},
): Promise<EmailOutcome> {
  const spec: Attempt = {
    type: 'welcome',
    key: EmailKeys.welcome(fact.customerName),
    orderKey: fact.orderKey,
    customerName: fact.customerName,
  };
  return attempt(
    deps,
    spec,
    async () => {
      const { order, email } = await addressedOrder(deps, fact.orderKey);
      const sealed = await deps.passwords.get(fact.customerName);
      if (!sealed) throw new EmailRefused(`no store password is kept for customer ${fact.customerName}`);
      const key = await deps.passwordKey();
      let password: string;
      try {
        password = openPassword(sealed, key, fact.customerName);
      } catch (error) {
        // The key was rotated, or the record is not this customer's: no retry opens it.
        throw new EmailRefused((error as Error).message);
      }
      const amount = order.event.credit.amount;
      const data: Record<string, string> = {
        ...buyerData(order),
        loginUrl: deps.loginUrlFor(order.event.store),
        loginName: fact.customerName,
        password,
      };
      if (amount && welcomeShowsCredit(order, fact.occurredAt)) data.credit = displayCredit(amount);
      return { to: email, data };
    },
    options,
  );
}

/**
 * The receipt of a paid order whose credit moved. The customer's first order has none when its welcome named the
 * credit; one paid after the welcome went out has its receipt.
 */
export async function sendReceipt(
  deps: NotifyDeps,
  fact: Pick<
    CreditTransferred,
    'orderKey' | 'customerName' | 'amount' | 'balanceAfter' | 'firstOrder' | 'buyerKey'
  >,
  options: { staleBefore?: Date } = {},
): Promise<EmailOutcome> {
  const key = EmailKeys.receipt(fact.orderKey);
  if (!fact.customerName) return { key, result: 'skipped', detail: 'the event names no customer' };
  if (fact.firstOrder) {
    const order = await deps.orders.get(fact.orderKey);
    const mapping = fact.buyerKey ? await deps.buyers.getCustomer(fact.buyerKey) : undefined;
    if (order && welcomeShowsCredit(order, mapping?.createdAt)) {
      return { key, result: 'skipped', detail: 'the welcome named this credit' };
    }
  }
  const spec: Attempt = {
    type: 'receipt',
    key,
    orderKey: fact.orderKey,
    customerName: fact.customerName,
    amount: fact.amount,
    ...(fact.balanceAfter ? { balance: fact.balanceAfter } : {}),
  };
  const customerName = fact.customerName;
  return attempt(
    deps,
    spec,
    async () => {
      const { order, email } = await addressedOrder(deps, fact.orderKey);
      const data: Record<string, string> = {
        ...buyerData(order),
        credit: displayCredit(parseCredit(fact.amount)),
        loginUrl: deps.loginUrlFor(order.event.store),
        loginName: customerName,
      };
      // A balance may be below zero (calls past it): "-1.500" reads as such, never as a refused amount.
      if (fact.balanceAfter) data.balance = displayCredit(parseSignedCredit(fact.balanceAfter));
      return { to: email, data };
    },
    options,
  );
}

/**
 * SES's event for a message of ours, off the default bus: "Email Sent" settles the marker its tags name (the
 * crash-after-send case); "Email Rendering Failed" is counted and logged (the template and its data disagree).
 */
export async function recordSesEvent(
  deps: Pick<NotifyDeps, 'emails' | 'log' | 'metrics' | 'now'>,
  detailType: string,
  detail: SesEventDetail,
): Promise<{ key?: string; settled: boolean }> {
  const tags = detail.mail?.tags ?? {};
  const first = (name: string) => tags[name]?.[0];
  const encodedKey = first('email');
  const attemptId = first('attempt');
  const key = encodedKey ? fromTagValue(encodedKey) : undefined;
  if (detailType !== 'Email Sent') {
    deps.metrics.addMetric(MetricNames.EmailsFailed, 'Count', 1);
    deps.log.error('SES reports an e-mail of ours was not delivered', {
      email: key,
      event: detailType,
      messageId: detail.mail?.messageId,
    });
    return { ...(key ? { key } : {}), settled: false };
  }
  if (!key || !attemptId || !detail.mail?.messageId) return { settled: false };
  const settled = await deps.emails.markSent(key, attemptId, detail.mail.messageId, deps.now());
  if (settled) deps.log.info('e-mail settled from its SES event', { email: key });
  return { key, settled };
}

/** The part of an SES event's detail notify reads (the SNS/EventBridge "mail" object). */
export interface SesEventDetail {
  eventType?: string;
  mail?: { messageId?: string; tags?: Record<string, string[] | undefined> };
}

/** What a retry run did. */
export interface RetryReport {
  retried: EmailOutcome[];
  /** Still within the age an unfinished attempt is left to settle. */
  waiting: number;
  /** Past {@link MAX_EMAIL_ATTEMPTS}: left to a person. */
  gaveUp: string[];
}

/**
 * The schedule's retry of e-mails not yet sent: failed ones, and claims older than `minAgeSeconds` that never
 * settled (their attempt died before SES answered, and SES sent no event for them).
 */
export async function retryUnsent(
  deps: NotifyDeps,
  options: { minAgeSeconds: number; maxAttempts?: number },
): Promise<RetryReport> {
  const report: RetryReport = { retried: [], waiting: 0, gaveUp: [] };
  if (!deps.mailer) return report;
  const staleBefore = new Date(deps.now().getTime() - options.minAgeSeconds * 1000);
  const maxAttempts = options.maxAttempts ?? MAX_EMAIL_ATTEMPTS;
  for (const record of await deps.emails.listUnsent()) {
    if (record.final) continue;
    const lastTouched = record.status === 'SENDING' ? record.claimedAt : record.updatedAt;
    if (new Date(lastTouched) > staleBefore) {
      report.waiting += 1;
      continue;
    }
    if (record.attempts >= maxAttempts) {
      report.gaveUp.push(record.key);
      continue;
    }
    const outcome =
      record.type === 'welcome'
        ? await sendWelcome(
            deps,
            {
              orderKey: record.orderKey,
              customerName: record.customerName,
              occurredAt: await customerRecordedAt(deps, record.orderKey),
            },
            { staleBefore },
          )
        : await sendReceipt(
            deps,
            {
              orderKey: record.orderKey,
              customerName: record.customerName,
              amount: record.amount ?? '0.000',
              ...(record.balance ? { balanceAfter: record.balance } : {}),
              firstOrder: false,
            },
            { staleBefore },
          );
    report.retried.push(outcome);
  }
  if (report.gaveUp.length > 0) {
    deps.log.error('e-mails left for a person after their automatic attempts (ops resend-welcome)', {
      emails: report.gaveUp,
    });
  }
  return report;
}

/** When the order's buyer was recorded against its customer (the welcome's "occurredAt"). */
async function customerRecordedAt(deps: NotifyDeps, orderKey: string): Promise<string> {
  const order = await deps.orders.get(orderKey);
  const mapping = order?.buyerKey ? await deps.buyers.getCustomer(order.buyerKey) : undefined;
  return mapping?.createdAt ?? '';
}

/**
 * `npm run ops -- resend-welcome <order>`: the welcome of the order's customer again (the same login and password),
 * whatever became of the first one. `requestId` makes a request delivered twice send once. Recorded on the order.
 */
export async function resendWelcome(
  deps: NotifyDeps,
  orderKey: string,
  reason: string,
  requestId: string,
): Promise<EmailOutcome> {
  const order = await deps.orders.get(orderKey);
  if (!order) throw new OrderInvalid(`order ${orderKey} is not recorded`);
  if (!order.customerName)
    throw new OrderInvalid(`order ${orderKey} has no Yay customer yet: nothing to welcome`);
  const welcome = await deps.emails.get(EmailKeys.welcome(order.customerName));
  const outcome = await sendWelcome(
    deps,
    {
      // The welcome's order: the one that created the customer (its credit line), else this one.
      orderKey: welcome?.orderKey ?? orderKey,
      customerName: order.customerName,
      occurredAt: await customerRecordedAt(deps, welcome?.orderKey ?? orderKey),
    },
    { resend: true, requestId, staleBefore: deps.now() },
  );
  if (outcome.result === 'sent' || outcome.result === 'failed') {
    await deps.orders.recordAction(orderKey, {
      action: 'resend-welcome',
      at: deps.now().toISOString(),
      reason,
      detail: outcome.result === 'sent' ? 'welcome sent again' : `welcome not sent: ${outcome.detail ?? ''}`,
    });
  }
  return outcome;
}

const SES_SOURCE = 'aws.ses';
/** The SES events notify acts on (the configuration set publishes these to the default bus). */
export const SES_DETAIL_TYPES = ['Email Sent', 'Email Rendering Failed'] as const;

const SesDetailSchema = z.looseObject({
  eventType: z.string().optional(),
  mail: z
    .looseObject({
      messageId: z.string().optional(),
      tags: z.record(z.string(), z.array(z.string()).optional()).optional(),
    })
    .optional(),
});

const RetryJobSchema = z.looseObject({
  job: z.literal('retry-emails'),
  minAgeSeconds: z.number().int().nonnegative().optional(),
});
const ResendJobSchema = z.object({
  job: z.literal('resend-welcome'),
  orderKey: z.string().min(1),
  reason: z.string().min(1),
  requestId: z.string().min(8),
});

/**
 * Everything notify is invoked with: the outbound facts that send e-mail (provisioning bus), SES's events for our
 * messages (default bus), the retry schedule and a person's resend (a direct invoke from the ops CLI or console).
 */
export async function handleNotify(
  deps: NotifyDeps,
  event: unknown,
  options: { minAgeSeconds: number },
): Promise<EmailOutcome | RetryReport | { key?: string; settled: boolean }> {
  const envelope = event as { source?: unknown; 'detail-type'?: unknown; detail?: unknown; job?: unknown };
  if (envelope?.source === OUTBOUND_SOURCE) {
    switch (envelope['detail-type']) {
      case OutboundDetailTypes.customerCreated:
        return sendWelcome(
          deps,
          parseInput(CustomerCreatedSchema, envelope.detail, 'Customer Created detail'),
        );
      case OutboundDetailTypes.creditTransferred:
        return sendReceipt(
          deps,
          parseInput(CreditTransferredSchema, envelope.detail, 'Credit Transferred detail'),
        );
    }
  }
  if (envelope?.source === SES_SOURCE && typeof envelope['detail-type'] === 'string') {
    return recordSesEvent(
      deps,
      envelope['detail-type'],
      parseInput(SesDetailSchema, envelope.detail, 'SES event detail'),
    );
  }
  if (envelope?.job === 'retry-emails') {
    const job = parseInput(RetryJobSchema, event, 'retry input');
    return retryUnsent(deps, { minAgeSeconds: job.minAgeSeconds ?? options.minAgeSeconds });
  }
  if (envelope?.job === 'resend-welcome') {
    const job = parseInput(ResendJobSchema, event, 'resend-welcome input');
    return resendWelcome(deps, job.orderKey, job.reason, job.requestId);
  }
  throw new OrderInvalid(
    `notify cannot handle this input: source ${JSON.stringify(envelope?.source)}, detail-type ` +
      `${JSON.stringify(envelope?.['detail-type'])}, job ${JSON.stringify(envelope?.job)}`,
  );
}
