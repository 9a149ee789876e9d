import { describeCredit } from '../domain/credit';
import { type CreditOptions, creditOwed } from '../domain/money';
import { attentionAction } from '../domain/order-state';
import { Outbound } from '../domain/outbound-events';
import { MetricNames } from '../metric-names';
import type { OrderRecord, OrderStore } from '../store/order-repository';
import type { TransferIntent } from '../store/transfer-repository';
import type { EventsOut } from './events-out';
import { moneyStateOf } from './money-state';
import type { Observability } from './ports';

/** What the money owes now, in words, beside what moved: the figures a person settles by hand. */
function owedNow(order: OrderRecord, credit: CreditOptions | undefined): string {
  const verdict = creditOwed(moneyStateOf(order), credit);
  switch (verdict.kind) {
    case 'owed':
      return `the money now owes ${describeCredit(verdict.credit)} (${verdict.why})`;
    case 'nothing':
      return `the money now owes nothing (${verdict.why})`;
    default:
      return verdict.why;
  }
}

/**
 * A refund or dispute after credit moved (or may have moved): Yay cannot reverse a transfer, so a person settles it
 * by hand. Flags the order once per refund or dispute fact (its state stays what it is), with the credit that moved
 * and what the money owes now; counts `RefundAfterCredit` and logs an error the first time only. A transfer still
 * under review keeps its own attention, and `resolve-transfer --applied` calls this again. Resolves whether this
 * call flagged it.
 */
export async function flagRefundAfterCredit(
  deps: Observability & { orders: OrderStore; events: EventsOut; credit?: CreditOptions },
  order: OrderRecord,
  intent: TransferIntent,
): Promise<boolean> {
  const orderKey = order.orderKey;
  const now = deps.now();
  const moved = intent.status === 'APPLIED' ? 'moved' : 'may have moved';
  const { applied, order: flagged } = await deps.orders.flagAttention(
    orderKey,
    {
      reason: 'refund_after_credit',
      message:
        `the store refunded or the buyer disputed after the credit ${moved} (transfer ${intent.status}, ` +
        `${describeCredit(intent.amount)} to customer ${intent.customerName ?? intent.customerUuid ?? '?'}); ` +
        owedNow(order, deps.credit),
      action: attentionAction('refund_after_credit', orderKey),
      since: now.toISOString(),
    },
    now,
    { beside: true },
  );
  if (flagged.refundAfterCreditAt) {
    // Flagged, by this call or an earlier one whose publish may have failed: the same fact, the same id.
    await deps.events.publish([
      Outbound.refundAfterCredit(
        {
          orderKey,
          buyerKey: flagged.buyerKey,
          customerName: intent.customerName ?? flagged.customerName,
          customerUuid: intent.customerUuid ?? flagged.customerUuid,
        },
        { amount: intent.amount, status: intent.status },
        new Date(flagged.refundAfterCreditAt),
      ),
    ]);
  }
  if (applied) {
    deps.metrics.addMetric(MetricNames.RefundAfterCredit, 'Count', 1);
    deps.log.error('order refunded or disputed after credit moved (or may have moved); needs a person', {
      orderKey,
      transfer: intent.status,
      amountMillis: intent.amount,
      customerUuid: intent.customerUuid,
    });
  } else {
    deps.log.info('refund after credit already flagged, or its transfer is still under review', { orderKey });
  }
  return applied;
}
