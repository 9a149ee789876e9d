import { sendReceipt } from './receipt';
import type { EmailOutcome, NotifyDeps } from './send-once';
import { customerRecordedAt, sendWelcome } from './welcome';

/** Automatic attempts per e-mail before it is left to a person (`ops resend-welcome`). */
export const MAX_EMAIL_ATTEMPTS = 6;

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
