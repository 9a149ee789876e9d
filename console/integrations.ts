/**
 * The console's two integrations with the buyer e-mails and the events out, in one place, over the same target the
 * ops CLI uses:
 *
 * - **Resend welcome** invokes the notify function, as `ops resend-welcome` does (only notify may send), with a
 *   fresh request id, and says in one sentence what came of it.
 * - **Events log** reads the events published about one order from the outbound-events log group (locally, its
 *   file), oldest first.
 */
import { randomUUID } from 'node:crypto';
import { OpsError } from '../ops/errors';
import type { OperatorDeps, Target } from '../ops/target';
import type { ConsoleSources, EmittedEvent, OperatorActions } from './sources';

export type ConsoleIntegrations = Pick<ConsoleSources, 'events'> & Pick<OperatorActions, 'resendWelcome'>;

export function consoleIntegrations(target: Target, _deps: OperatorDeps): ConsoleIntegrations {
  return {
    resendWelcome: async (orderKey, reason) => {
      const outcome = (await target.invokeNotify({
        job: 'resend-welcome',
        orderKey,
        reason,
        requestId: randomUUID(),
      })) as { result: string; status?: string; detail?: string };
      if (outcome.result === 'sent') return `The welcome for ${orderKey} was sent again.`;
      if (outcome.result === 'off') throw new OpsError('e-mail is off: configure provisioning:emailSender');
      throw new OpsError(
        `The welcome was not sent (${outcome.result}${outcome.status ? `, ${outcome.status}` : ''})` +
          `${outcome.detail ? `: ${outcome.detail}` : ''}.`,
      );
    },
    events: async (orderKey): Promise<EmittedEvent[]> =>
      (await target.publishedEvents(orderKey)).map((line) => {
        const d = line.detail;
        const summary = [d.amount ? `${String(d.amount)} GBP` : '', d.reason ? String(d.reason) : '']
          .filter(Boolean)
          .join(', ');
        return {
          at: line.time,
          detailType: line.detailType,
          eventId: String(d.eventId ?? ''),
          ...(summary ? { summary } : {}),
        };
      }),
  };
}
