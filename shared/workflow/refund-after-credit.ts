import { describeCredit } from '../domain/credit';
import { attentionAction } from '../domain/order-state';
import { Outbound } from '../domain/outbound-events';
import { MetricNames } from '../metric-names';
import type { OrderStore, TransferIntent } from '../store/types';
import type { EventsOut } from './events-out';
import type { Observability } from './ports';

/**
 * A refund after credit moved (or may have moved): Yay cannot reverse a transfer, so a person settles it by hand.
 * Flags the order once (its state stays what it is), counts `RefundAfterCredit` and logs an error, the first time
 * only; a transfer still under review keeps its own attention, and `resolve-transfer --applied` calls this again.
 * Resolves whether this call flagged it.
 */
export async function flagRefundAfterCredit(
  deps: Observability & { orders: OrderStore; events: EventsOut },
  orderKey: string,
  intent: TransferIntent,
): Promise<boolean> {
  const now = deps.now();
  const moved = intent.status === 'APPLIED' ? 'moved' : 'may have moved';
  const { applied, order } = await deps.orders.flagAttention(
    orderKey,
    {
      reason: 'refund_after_credit',
      message:
        `the store refunded the order after its credit ${moved} (transfer ${intent.status}, ` +
        `${describeCredit(intent.amount)} to customer ${intent.customerName ?? intent.customerUuid ?? '?'})`,
      action: attentionAction('refund_after_credit', orderKey),
      since: now.toISOString(),
    },
    now,
    { once: 'refundAfterCredit' },
  );
  if (order.refundAfterCreditAt) {
    // Flagged, by this call or an earlier one whose publish may have failed: the same fact, the same id.
    await deps.events.publish([
      Outbound.refundAfterCredit(
        {
          orderKey,
          buyerKey: order.buyerKey,
          customerName: intent.customerName ?? order.customerName,
          customerUuid: intent.customerUuid ?? order.customerUuid,
        },
        { amount: intent.amount, status: intent.status },
        new Date(order.refundAfterCreditAt),
      ),
    ]);
  }
  if (applied) {
    deps.metrics.addMetric(MetricNames.RefundAfterCredit, 'Count', 1);
    deps.log.error('order refunded after credit moved (or may have moved); needs a person', {
      transfer: intent.status,
      amountMillis: intent.amount,
      customerUuid: intent.customerUuid,
    });
  } else {
    deps.log.info('refund after credit already flagged, or its transfer is still under review');
  }
  return applied;
}
