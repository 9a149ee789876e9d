/**
 * What a soak plan exercises and what it misses (`planCoverage`): the short run in `npm test` asserts its plan
 * misses nothing, so a generator change that loses coverage says so.
 */
import { PATHS_OF } from './plan';
import type { SoakPlan } from './plan-types';

/**
 * What a plan does not exercise, as readable labels (empty when it covers everything): each payment path every
 * provider offers, each refund shape before credit and how refunds name their order, what the money may owe (credit
 * in part, a person for each reason, nothing), out-of-order, late, restated and concurrent deliveries, one to four
 * copies, repeat buyers, kills. The short run in `npm test` asserts its plan covers all of it.
 */
export function planCoverage(plan: SoakPlan): string[] {
  const seen = new Set<string>();
  for (const order of plan.orders) {
    seen.add(`${order.provider} ${order.path}`);
    const refund = order.refund;
    if (refund) {
      if (order.path !== 'refund_after_credit')
        seen.add(`${order.provider} ${refund.shape} refund before credit`);
      if (refund.by) seen.add(`${order.provider} refund by ${refund.by}`);
      if (refund.listed) seen.add(`${order.provider} refund listed`);
    }
    if (order.lines) seen.add(`${order.provider} ${order.lines} line order`);
    if (order.owed.kind === 'credit' && order.owed.credit < order.amount)
      seen.add('owed: part of the credit');
    if (order.owed.kind === 'person') seen.add(`owed: a person (${order.owed.reason})`);
    if (order.owed.kind === 'nothing') seen.add(`owed: ${order.owed.label}`);
    for (const step of order.steps) {
      if (step.do !== 'send') continue;
      seen.add(`${step.copies} copies`);
      if (step.concurrent) seen.add('concurrent copies');
      if (step.tag) seen.add(step.tag);
      if (step.role === 'invoice_payment') seen.add('stripe invoice_payment');
    }
  }
  const wanted: string[] = [];
  for (const provider of ['stripe', 'shopify', 'woocommerce'] as const) {
    for (const [path] of PATHS_OF[provider]) wanted.push(`${provider} ${path}`);
    if (provider !== 'shopify') wanted.push(`${provider} subscription`, `${provider} renewal`);
  }
  wanted.push('stripe free_trial', 'stripe invoice_payment');
  wanted.push('stripe full refund before credit', 'stripe partial refund before credit');
  wanted.push('stripe refund by session', 'stripe refund by payment_intent');
  for (const shape of ['full', 'partial', 'credit_line', 'other_line'])
    wanted.push(`shopify ${shape} refund before credit`);
  wanted.push('woocommerce full refund before credit', 'woocommerce partial refund before credit');
  wanted.push('woocommerce refund listed', 'woocommerce single line order', 'woocommerce multi line order');
  wanted.push('owed: part of the credit', 'owed: a person (credit_undecided)', 'owed: a person (disputed)');
  wanted.push('owed: nothing: refunded in full', 'owed: nothing: a free trial paid 0');
  wanted.push('owed: nothing: the payment failed');
  wanted.push('1 copies', '2 copies', '3 copies', '4 copies');
  wanted.push('concurrent copies', 'late', 'out_of_order', 'restated');
  const missing = wanted.filter((label) => !seen.has(label));
  const perBuyer = new Map<number, number>();
  for (const order of plan.orders) perBuyer.set(order.buyer, (perBuyer.get(order.buyer) ?? 0) + 1);
  if (![...perBuyer.values()].some((n) => n > 1)) missing.push('repeat buyers');
  if (plan.kills.length === 0) missing.push('kills');
  return missing;
}
