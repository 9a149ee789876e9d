import { type AttentionReason, attentionAction } from '../domain/order-state';
import { Outbound } from '../domain/outbound-events';
import { MetricNames } from '../metric-names';
import type { OrderStore } from '../store/order-repository';
import type { EventsOut } from './events-out';
import type { Observability } from './ports';

export interface ParkDeps extends Observability {
  orders: OrderStore;
  /** `Order Needs Attention`, for the reseller's other systems. */
  events: EventsOut;
}

/**
 * Parks an order for a person: state `needs_attention` with the reason, a message naming what is wrong and the one
 * command that resolves it. Counted (`OrdersNeedingAttention`) and logged once, when the order starts waiting; the
 * event is published whenever this reason is the one standing, so a repeat after a failed publish sends the same
 * fact with the same id. A fulfilled order is never parked (the store refuses). Resolves whether this call parked it.
 */
export async function parkForPerson(
  deps: ParkDeps,
  orderKey: string,
  reason: AttentionReason,
  message: string,
  options: { beside?: boolean } = {},
): Promise<boolean> {
  const now = deps.now();
  const { applied, order } = await deps.orders.flagAttention(
    orderKey,
    { reason, message, action: attentionAction(reason, orderKey), since: now.toISOString() },
    now,
    options,
  );
  const standing = order.attention;
  if (standing?.reason === reason) {
    // This flag, or the one a repeat found standing: its `since` makes the id the same either way.
    await deps.events.publish([
      Outbound.orderNeedsAttention(
        {
          orderKey,
          buyerKey: order.buyerKey,
          customerName: order.customerName,
          customerUuid: order.customerUuid,
        },
        standing,
        standing.since,
        now,
      ),
    ]);
  }
  if (applied) {
    deps.metrics.addMetric(MetricNames.OrdersNeedingAttention, 'Count', 1);
    deps.log.warn('order needs a person', { orderKey, reason, message });
  }
  return applied;
}
