/**
 * The Overview page's model: thirty days of orders, their outcomes and the credit moved.
 *
 * Built from the console's sources: a plain view model with the fields the page shows and no others. A record
 * never reaches a page whole, so a field added to the table later (a token, a sealed password) is not shown by
 * accident.
 */
import type { OrderState } from '../../shared/store';
import { creditStillOwed } from '../../shared/workflow/sweep';
import type { ConsoleSources } from '../sources';
import { addDays, dayOf } from './orders-model';

/** Outcome buckets of the "orders per day" chart, in stacking order. */
export const OUTCOME_BUCKETS = [
  { key: 'fulfilled', label: 'Fulfilled', states: ['fulfilled'] },
  { key: 'in_progress', label: 'In progress', states: ['open', 'awaiting_payment'] },
  { key: 'attention', label: 'Needs attention', states: ['needs_attention'] },
  { key: 'failed', label: 'Failed', states: ['failed'] },
  { key: 'unpaid', label: 'Expired / payment failed', states: ['expired', 'payment_failed'] },
  { key: 'refunded', label: 'Refunded / closed', states: ['refunded', 'closed'] },
] as const satisfies ReadonlyArray<{ key: string; label: string; states: readonly OrderState[] }>;

export interface OverviewModel {
  days: string[];
  /** Per bucket key, orders per day (same order as `days`). */
  ordersPerDay: Record<(typeof OUTCOME_BUCKETS)[number]['key'], number[]>;
  totalOrders: number;
  /** Thousandths moved per day. */
  creditPerDay: number[];
  totalCredit: number;
  balance: { resellerBalance?: number; unavailable?: string; creditOwed: number };
}

/** The charts' days: the last 30, today included. */
export const OVERVIEW_DAYS = 30;

export async function overviewModel(sources: ConsoleSources): Promise<OverviewModel> {
  const to = dayOf(sources.now());
  const from = addDays(to, -(OVERVIEW_DAYS - 1));
  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => addDays(from, i));
  const index = new Map(days.map((day, i) => [day, i]));
  const [orders, credit, owed, balance] = await Promise.all([
    sources.store.ordersCreated(from, to),
    sources.store.creditMoved(from, to),
    sources.store.listOwed(),
    sources.resellerBalance().then(
      (value) => ({ resellerBalance: value as number }),
      // The name only: a Yay error's message is the client's, but the page needs no more than what failed.
      (error: unknown) => ({ unavailable: error instanceof Error ? error.name : 'error' }),
    ),
  ]);
  const ordersPerDay = Object.fromEntries(
    OUTCOME_BUCKETS.map((bucket) => [bucket.key, days.map(() => 0)]),
  ) as OverviewModel['ordersPerDay'];
  for (const order of orders) {
    const i = index.get(order.createdAt.slice(0, 10));
    const bucket = OUTCOME_BUCKETS.find((b) => (b.states as readonly string[]).includes(order.state));
    if (i === undefined || !bucket) continue;
    ordersPerDay[bucket.key][i] = (ordersPerDay[bucket.key][i] ?? 0) + 1;
  }
  const creditPerDay = days.map(() => 0);
  for (const moved of credit) {
    const i = index.get(moved.movedAt.slice(0, 10));
    if (i !== undefined) creditPerDay[i] = (creditPerDay[i] ?? 0) + moved.amount;
  }
  return {
    days,
    ordersPerDay,
    totalOrders: orders.length,
    creditPerDay,
    totalCredit: creditPerDay.reduce((sum, value) => sum + value, 0),
    // The derivation as deployed is the sweep's; the console shows it as free orders owing nothing.
    balance: { ...balance, creditOwed: creditStillOwed({}, owed) },
  };
}
