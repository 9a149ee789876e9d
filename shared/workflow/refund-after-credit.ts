import { describeCredit } from '../domain/credit';
import { attentionAction } from '../domain/order-state';
import { MetricNames } from '../metric-names';
import type { OrderStore, TransferIntent } from '../store/types';
import type { Observability } from './ports';

/**
 * A refund after credit moved (or may have moved): Yay cannot reverse a transfer, so a person settles it by hand.
 * Flags the order once (its state stays what it is), counts `RefundAfterCredit` and logs an error, the first time
 * only; a transfer still under review keeps its own attention, and `resolve-transfer --applied` calls this again.
 * Resolves whether this call flagged it.
 */
export async function flagRefundAfterCredit(
  deps: Observability & { orders: OrderStore },
  orderKey: string,
  intent: TransferIntent,
): Promise<boolean> {
  const now = deps.now();
  const moved = intent.status === 'APPLIED' ? 'moved' : 'may have moved';
  const { applied } = await deps.orders.flagAttention(
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
