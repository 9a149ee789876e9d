/**
 * Known production bugs (`KNOWN_FINDINGS`): how to recognise an order of a soak run that hit one the soak found and
 * left unfixed, and what of its run the bug explains. Method notes: tools/soak/README.md, "Known production bugs".
 */
import type { OrderView } from '../../shared/store';
import type { PlannedOrder } from './plan-types';

/** An order's end as the judge sees it: its plan, its item, and whether the sweep's index still holds it. */
export interface OrderEnd {
  order: PlannedOrder;
  found: OrderView;
  inOpenIndex: boolean;
  /** Some index entry of the order's partition is out of step with its item (see `indexDrift`). */
  indexDrifted: boolean;
}

/** What of an order's run a known finding explains: its end, its being stuck, its absence from `ops attention`, or
 * a gate of its script never reached. */
type Explains = 'end' | 'stuck' | 'attention' | 'gate';

/**
 * Production bugs the soak found and left unfixed, each with an `it.fails` reproduction: how to recognise an order
 * that hit one, and what of its end the bug explains (its end state, or its being stuck). Such an order is still
 * counted (in its row and under its finding) but does not fail the run, so a run fails on anything new. Remove an
 * entry once its reproduction passes.
 */
export const KNOWN_FINDINGS: ReadonlyArray<{
  id: string;
  what: string;
  reproduction: string;
  hit(end: OrderEnd): boolean;
  /** What of the order's end the bug explains: its end state, its being stuck, its missing from `ops attention`. */
  explains: ReadonlyArray<Explains>;
}> = [
  // Empty: the three the money soak found (a refund the credit already left out, delivered again, flagged after
  // credit; a payment after a refund by PaymentIntent not resuming the order; an order arriving after its payment was
  // parked order_missing never started) are fixed, their reproductions in test/e2e/soak-findings.test.ts now plain
  // tests. A new finding goes here with its reproduction.
];

/** The id of the first known finding that the order's end shows and that explains `what` of it. */
export function explainedBy(end: OrderEnd, what: Explains): string | undefined {
  return KNOWN_FINDINGS.find((finding) => finding.explains.includes(what) && finding.hit(end))?.id;
}
