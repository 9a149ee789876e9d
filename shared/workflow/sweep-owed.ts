import { creditOwed } from '../domain/money';
import { isTerminal } from '../domain/order-state';
import type { OrderRecord } from '../store/order-repository';
import { moneyStateOf } from './money-state';
import { parkForPerson } from './park';
import { claimReplay } from './replay';
import type { SweepDeps, SweepOptions, SweepReport } from './sweep';

/**
 * An order on the OwedCredit index (paid; credit not moved; no person asked — or, as the index is a superset, one
 * that has since settled). Open orders are their execution's (the pass over open orders restarts a lost one). A
 * finished one is judged by its money: owed → replayed from the state it ended in (claimed once), past the automatic
 * replays → a person; only a person can tell → parked with the figures; owes nothing, its credit moved, or a person
 * is already asked → off the index, conditional on its facts not having changed since they were read.
 */
export async function sweepOwed(
  deps: SweepDeps,
  order: OrderRecord,
  options: SweepOptions,
  maxReplays: number,
  now: Date,
  report: SweepReport,
): Promise<void> {
  const orderKey = order.orderKey;
  const factCount = order.factCount ?? 0;
  if (!order.event) {
    // Money for an order the store has not sent (yet): it may still come; past the payment window, a person looks.
    if (now.getTime() - Date.parse(order.createdAt) > options.paymentWindowSeconds * 1000) {
      await parkForPerson(
        deps,
        orderKey,
        'order_missing',
        `money came for this order on ${order.createdAt}, but the store never sent the order itself`,
      );
      report.parked.push(orderKey);
    }
    return;
  }
  if (!isTerminal(order.state)) return;
  const settle = async (why: string) => {
    if (await deps.orders.leaveOwed(orderKey, factCount, deps.now())) {
      report.settled.push(orderKey);
      deps.log.info('order owes no more credit; off the owed index', { orderKey, why });
    }
  };
  if (order.attention) return settle(`a person is asked (${order.attention.reason})`);
  if (order.state === 'fulfilled') return settle('its credit moved');
  const intent = await deps.transfers.getIntent(orderKey);
  const verdict = creditOwed(moneyStateOf(order), deps.credit);
  if (order.state === 'closed' && (verdict.kind === 'owed' || verdict.kind === 'person')) {
    await parkForPerson(
      deps,
      orderKey,
      'credit_undecided',
      `money came after a person closed the order: ${verdict.why}`,
    );
    report.parked.push(orderKey);
    return;
  }
  switch (verdict.kind) {
    case 'person':
      await parkForPerson(deps, orderKey, verdict.reason, verdict.why);
      report.parked.push(orderKey);
      return;
    case 'owed':
    case 'unpriced': {
      if (order.replays >= maxReplays) {
        const what =
          intent?.status === 'APPLIED'
            ? 'its credit moved but no run recorded it'
            : `its money owes credit (${verdict.why}) but no run moved it`;
        await parkForPerson(
          deps,
          orderKey,
          'failed',
          `${what}; ${order.replays} automatic replays ended ${order.state}`,
        );
        report.gaveUp.push(orderKey);
        return;
      }
      const replay = await claimReplay(
        deps,
        order,
        `sweep: the order ended ${order.state} but its money owes credit`,
        {
          fromStates: [order.state],
        },
      );
      if (replay) {
        report.replayed.push(orderKey);
        report.credited.push(orderKey);
      }
      return;
    }
    default:
      return settle(verdict.why);
  }
}

/**
 * The credit still owed, as the money of each order on the OwedCredit index says, less what is already under way (a
 * transfer started or moved is the reseller's balance already spoken for). The sweep's alarm input against the
 * reseller's balance, and the console's "credit still owed".
 */
export function creditStillOwed(deps: Pick<SweepDeps, 'credit'>, owed: readonly OrderRecord[]): number {
  let total = 0;
  for (const order of owed) {
    if (!order.event || order.state === 'fulfilled' || order.attention) continue;
    const verdict = creditOwed(moneyStateOf(order), deps.credit);
    if (verdict.kind === 'owed') total += verdict.credit;
  }
  return total;
}
