import { randomUUID } from 'node:crypto';
import { MetricNames } from '../../metric-names';
import type { BuyerStore } from '../../store/buyer-repository';
import type { EmailKind, EmailRecord, EmailStore } from '../../store/email-repository';
import type { OrderStore } from '../../store/order-repository';
import type { PasswordStore } from '../../store/password-repository';
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

/** SES tag values allow `[A-Za-z0-9_-]` only, 256 at most: keys travel base64url-encoded. */
export function tagValue(text: string): string | undefined {
  const encoded = Buffer.from(text, 'utf8').toString('base64url');
  return encoded.length <= 256 ? encoded : undefined;
}

/** The text a {@link tagValue} carries. */
export function fromTagValue(value: string): string {
  return Buffer.from(value, 'base64url').toString('utf8');
}

/** The e-mail an attempt is for: what its marker records besides the claim. */
export interface EmailAttempt {
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
export async function sendOnce(
  deps: NotifyDeps,
  spec: EmailAttempt,
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

/** Records a failed attempt on the marker (final when SES or the data refused it for good) and counts it. */
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
