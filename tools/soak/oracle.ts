/**
 * The soak's oracle. Each order says, before anything is sent, what its money owes — credit in thousandths, a
 * person (and why), or nothing (and how the order ends) — from a small model of the money rules written here apart
 * from the product's (`shared/domain/money.ts`), and which end states are acceptable with the credit the sandbox's
 * ledger must show for each. With it, what an order costs: its catalog credit, and the other charges of the
 * providers' samples.
 */
import type { Millis } from '../../shared/domain/credit';
import type { ExpectedEnd, Owed, PlannedOrder, SoakProvider } from './plan-types';

/**
 * What an order pays besides its credit line, in pence: the published Shopify order's other four lines (324.96)
 * less its discount (20.00) plus its shipping (10.00); the published WooCommerce order 727's other line (6.00) with
 * its tax (0.45) and its shipping (10.00).
 */
export const SHOPIFY_OTHER_CHARGES = 32_496 - 2_000 + 1_000;
export const WOO_OTHER_CHARGES = 600 + 45 + 1_000;
/** The Shopify line a refund of merchandise names: `LENS-PROTECT-2YR` at 19.99. */
export const SHOPIFY_OTHER_LINE = 1_999;

/** The catalog credit of order `index`: SOAK-UNIT × (1000 + index) at 0.010, i.e. ten thousandths a penny paid. */
export const creditOf = (index: number) => (10_000 + 10 * index) as Millis;

/** True when the order is one credit line and nothing else: a refund naming no line then refunds in proportion. */
function singleCreditLine(provider: SoakProvider, lines: PlannedOrder['lines']): boolean {
  // A Checkout Session without shipping is priced whole by `metadata.yay_credit`; a Shopify order has other lines.
  if (provider === 'stripe') return true;
  return provider === 'woocommerce' && lines === 'single';
}

/**
 * The oracle's model of the money rules (issue 16), kept apart from the product's: what the order's money owes.
 * Paid in full, nothing refunded → the catalog credit; refunded in full → nothing; a payment of 0 → nothing; a partial
 * refund → less the credit lines it names, else in proportion when the order is one credit line, else a person; a
 * dispute before credit → a person. Refunds and disputes after credit do not change what moved.
 */
export function moneyOwes(order: Omit<PlannedOrder, 'owed' | 'expected' | 'steps'>): Owed {
  const credit = order.amount;
  if (order.path === 'async_failed') return { kind: 'nothing', label: 'nothing: the payment failed' };
  if (order.path === 'free_trial') return { kind: 'nothing', label: 'nothing: a free trial paid 0' };
  if (order.path === 'dispute_before_credit')
    return { kind: 'person', reason: 'disputed', label: 'a person: disputed before credit' };
  const refund = order.refund;
  if (!refund || order.path === 'refund_after_credit') {
    return { kind: 'credit', credit, label: 'credit in full' };
  }
  switch (refund.shape) {
    case 'full':
      return { kind: 'nothing', label: 'nothing: refunded in full' };
    case 'credit_line':
      return {
        kind: 'credit',
        credit: (credit - 10 * (refund.units ?? 0)) as Millis,
        label: 'credit less the refunded credit line',
      };
    case 'other_line':
      return { kind: 'credit', credit, label: 'credit in full (merchandise refunded)' };
    case 'partial': {
      if (!singleCreditLine(order.provider, order.lines)) {
        return {
          kind: 'person',
          reason: 'credit_undecided',
          label: 'a person: money-only partial refund of several lines',
        };
      }
      const kept = (credit * (order.paid - refund.amount)) / order.paid;
      if (!Number.isInteger(kept))
        throw new Error(`soak plan: order ${order.index} keeps ${kept} thousandths`);
      return { kind: 'credit', credit: kept as Millis, label: 'credit in proportion to the money kept' };
    }
  }
}

/** The ends the oracle accepts for what the money owes, with the credit each must show. */
export function expectedEnds(order: Omit<PlannedOrder, 'expected' | 'steps'>): ExpectedEnd[] {
  const { owed, path } = order;
  const ends: ExpectedEnd[] =
    owed.kind === 'credit'
      ? path === 'refund_after_credit' || path === 'dispute_after_credit'
        ? [{ state: 'fulfilled', attention: 'refund_after_credit', credit: owed.credit }]
        : [{ state: 'fulfilled', credit: owed.credit }]
      : owed.kind === 'person'
        ? [{ state: 'needs_attention', attention: owed.reason, credit: 0 }]
        : path === 'async_failed'
          ? [
              { state: 'payment_failed', credit: 0 },
              { state: 'expired', credit: 0 },
            ]
          : path === 'free_trial'
            ? [{ state: 'fulfilled', credit: 0 }]
            : [{ state: 'refunded', credit: 0 }];
  if (path === 'refund_before_credit') {
    if (order.provider !== 'woocommerce') {
      // The window closed before the payment came: the product asks a person about a refund with no payment, and the
      // payment that follows leaves the person asked.
      if (!(owed.kind === 'person' && owed.reason === 'credit_undecided')) {
        ends.push({
          state: 'needs_attention',
          attention: 'credit_undecided',
          credit: 0,
          when: 'window_closed',
        });
      }
    } else if (owed.kind === 'nothing') {
      // A WooCommerce refund carries its payment: refunded in full after the window closed, the order owes nothing
      // and stays expired.
      ends.push({ state: 'expired', credit: 0, when: 'window_closed' });
    }
  }
  return ends;
}
