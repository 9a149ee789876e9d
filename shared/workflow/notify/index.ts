/**
 * Buyer e-mails (issue 10) and the notify Lambda's one entry, {@link handleNotify}. The send-once protocol (claim →
 * send → settle) is in send-once.ts; each message builds its own data under the claim (welcome.ts, receipt.ts, with
 * message.ts); SES's events settle what a crash left (ses-events.ts); the schedule retries the rest (retry.ts).
 */
// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import {
  CreditTransferredSchema,
  CustomerCreatedSchema,
  OUTBOUND_SOURCE,
  OutboundDetailTypes,
} from '../../domain/outbound-events';
import { OrderInvalid } from '../../errors';
import { parseInput } from '../input';
import { sendReceipt } from './receipt';
import { type RetryReport, retryUnsent } from './retry';
import type { EmailOutcome, NotifyDeps } from './send-once';
import { recordSesEvent, SES_SOURCE, SesDetailSchema } from './ses-events';
import { resendWelcome, sendWelcome } from './welcome';

export { displayCredit } from './message';
export { sendReceipt } from './receipt';
export { MAX_EMAIL_ATTEMPTS, type RetryReport, retryUnsent } from './retry';
export { type EmailOutcome, fromTagValue, type NotifyDeps, tagValue } from './send-once';
export { recordSesEvent, SES_DETAIL_TYPES, type SesEventDetail } from './ses-events';
export { resendWelcome, sendWelcome } from './welcome';

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
