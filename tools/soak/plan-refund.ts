/**
 * The refunds of the soak's plan: for an order on a refund path, its shape, its amount and how it names its order,
 * drawn so that what a refund before credit leaves is an amount no other transfer of the buyer may carry.
 */
import type { Millis } from '../../shared/domain/credit';
import { SHOPIFY_OTHER_LINE } from './oracle';
import type { Draw } from './plan-draw';
import type { PaymentPath, PlannedOrder, PlannedRefund, SoakProvider } from './plan-types';

/**
 * A refund for the order: its shape, amount and how it names the order. `keeps` is the credit a shape leaves of the
 * order's (undefined when none is owed or a person decides); a partial amount is chosen among plausible ones so that
 * what it leaves is not an amount another of the buyer's transfers may carry.
 */
export function planRefund(
  draw: Draw,
  provider: SoakProvider,
  path: PaymentPath,
  paid: number,
  lines: PlannedOrder['lines'],
  credit: Millis,
  taken: Set<number>,
): PlannedRefund {
  const before = path !== 'refund_after_credit';
  const unique = (candidates: number[], keeps: (amount: number) => number): number => {
    const options = draw.shuffle([...candidates]);
    const free = options.find((amount) => !before || !taken.has(keeps(amount)));
    if (free !== undefined) return free;
    // None of the plausible amounts: the next penny up that leaves a distinct amount.
    let amount = options[0] as number;
    while (taken.has(keeps(amount))) amount += 1;
    return amount;
  };
  const proportional = (amount: number) => (credit * (paid - amount)) / paid;
  if (provider === 'stripe') {
    const full = draw.chance(path === 'refund_before_order' ? 0.45 : 0.4);
    const by =
      path === 'refund_before_order'
        ? draw.weighted([
            ['payment_intent', 70],
            ['session', 30],
          ] as const)
        : draw.pick(['session', 'payment_intent'] as const);
    if (full) return { shape: 'full', amount: paid, by };
    return { shape: 'partial', amount: unique([100, 200, 250, 500], proportional), by };
  }
  if (provider === 'shopify') {
    const shape = draw.weighted(
      before
        ? ([
            ['full', 30],
            ['credit_line', 30],
            ['partial', 30],
            ['other_line', 10],
          ] as const)
        : ([
            ['full', 40],
            ['credit_line', 30],
            ['partial', 30],
          ] as const),
    );
    if (shape === 'full') return { shape, amount: paid };
    if (shape === 'other_line') return { shape, amount: SHOPIFY_OTHER_LINE };
    if (shape === 'partial') return { shape, amount: draw.pick([500, 1_000, 1_999, 2_500]) };
    // A unit of credit is a penny: refunding `units` of the line gives back as many pence.
    const units = unique([100, 250, 500], (n) => credit - 10 * n);
    return { shape, amount: units, units };
  }
  if (draw.chance(0.4)) return { shape: 'full', amount: paid, listed: draw.chance(0.5) };
  return {
    shape: 'partial',
    amount: lines === 'single' ? unique([100, 250, 500], proportional) : draw.pick([600, 1_000, 500]),
  };
}
