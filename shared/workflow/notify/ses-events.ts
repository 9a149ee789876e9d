// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import { MetricNames } from '../../metric-names';
import { fromTagValue, type NotifyDeps } from './send-once';

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

/** The source of SES's events on the default bus. */
export const SES_SOURCE = 'aws.ses';
/** The SES events notify acts on (the configuration set publishes these to the default bus). */
export const SES_DETAIL_TYPES = ['Email Sent', 'Email Rendering Failed'] as const;

/** The detail of an SES event, as far as notify reads it. */
export const SesDetailSchema = z.looseObject({
  eventType: z.string().optional(),
  mail: z
    .looseObject({
      messageId: z.string().optional(),
      tags: z.record(z.string(), z.array(z.string()).optional()).optional(),
    })
    .optional(),
});
