/** What every write of an order item shares, whichever method makes it. */
import type { OrderEvent } from '../domain/order-event';
import { dayOf, daySortKey, lookupKey } from './indexes';
import { DAY_PK, DAY_SK, ItemKeys } from './item-keys';
import type { Update } from './update';

/** The console's search key of an event's buyer: the lower-cased e-mail (the BuyerEmails index). */
export function buyerEmailOf(event: OrderEvent): string | undefined {
  return lookupKey(event.buyer?.email);
}

/**
 * What every order item has, for an update that may be the one creating it (a payment event before the
 * order, a console-started execution): its key, kind and timestamps, its creation day (ByDay), and no replays
 * yet. Defaults only: an order that exists keeps the day it was created on.
 */
export function asOrderItem(update: Update, orderKey: string, at: string): Update {
  return update
    .set('orderKey', orderKey)
    .set('updatedAt', at)
    .setDefault('createdAt', at)
    .setDefault('replays', 0)
    .setDefault(DAY_PK, ItemKeys.ordersOn(dayOf(at)))
    .setDefault(DAY_SK, daySortKey(at, orderKey))
    .set('kind', 'order');
}

/** How an error names the order whose item a conditional write found gone. */
export const orderName = (orderKey: string) => `order ${orderKey}`;
