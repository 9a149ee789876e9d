import type { MoneyState } from '../domain/money';
import type { OrderEvent } from '../domain/order-event';
import type { OrderRecord } from '../store/order-repository';

/**
 * What the credit owed is derived from, as an order item holds it: the catalog credit and the order's money from its
 * event, the facts recorded on it, a person's decision. An order without its event yet (a stub) prices nothing.
 * `event` stands in for the stored one where the item has none (an execution started by hand for an order never
 * recorded).
 */
export function moneyStateOf(order: OrderRecord | undefined, event?: OrderEvent): MoneyState {
  const source = order?.event ?? event;
  const facts = order?.facts ?? [];
  const paidWithoutFacts =
    (order?.payment === 'paid' || (!order && source?.kind === 'paid')) &&
    !facts.some((fact) => fact.type === 'payment');
  return {
    credit: source?.credit.amount ?? null,
    ...(source?.money ? { money: source.money } : {}),
    currency: source?.money?.currency ?? source?.credit.currency ?? 'XXX',
    facts,
    ...(paidWithoutFacts ? { paidWithoutFacts: true } : {}),
    ...(order?.creditDecision ? { decision: order.creditDecision } : {}),
  };
}

/**
 * A refund or dispute recorded on the order after its first `plannedFactCount` facts: money taken back after the
 * amount that moved was derived from those facts. Undefined (nothing moved) is never.
 */
export function creditTakenBackSince(order: OrderRecord, plannedFactCount: number | undefined): boolean {
  if (plannedFactCount === undefined) return false;
  return (order.facts ?? [])
    .slice(plannedFactCount)
    .some((fact) => fact.type === 'refund' || fact.type === 'dispute');
}
