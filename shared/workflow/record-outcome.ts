import type { OrderStore } from '../store/types';
import type { CaughtError, Outcome, RecordOutcomeInput } from './contract';
import type { Observability } from './ports';

export interface RecordOutcomeDeps extends Observability {
  orders: OrderStore;
}

export interface RecordedOutcome {
  orderKey: string;
  outcome: Outcome;
  /** False when the order was already fulfilled and a later run's outcome was not allowed to replace it. */
  applied: boolean;
}

/** Step Functions puts the Lambda's whole error JSON (with stack) in Cause; keep the order item small. */
const MAX_CAUSE_CHARS = 2000;

/**
 * "Record outcome": the order's final state, its error, out of the open index (so the sweep leaves it),
 * token dropped. One conditional write; run twice, the same state. A fulfilled order is never downgraded.
 */
export async function recordOutcome(
  deps: RecordOutcomeDeps,
  input: RecordOutcomeInput,
): Promise<RecordedOutcome> {
  const orderKey = input.order.orderKey;
  const error: CaughtError | undefined = input.error
    ? {
        Error: input.error.Error,
        ...(input.error.Cause ? { Cause: input.error.Cause.slice(0, MAX_CAUSE_CHARS) } : {}),
      }
    : input.transfer?.status === 'SKIPPED'
      ? { Error: 'CreditSkipped', Cause: input.transfer.reason ?? 'no credit price' }
      : undefined;
  const { applied, order } = await deps.orders.recordOutcome(orderKey, input.outcome, error, deps.now());
  if (!applied) {
    deps.log.warn('order already fulfilled; later outcome not recorded', { outcome: input.outcome });
    return { orderKey, outcome: order.outcome ?? input.outcome, applied };
  }
  const attrs = { outcome: input.outcome, ...(error ? { error: error.Error } : {}) };
  if (input.outcome === 'fulfilled' || input.outcome === 'payment_failed' || input.outcome === 'expired') {
    deps.log.info('order outcome recorded', attrs);
  } else {
    deps.log.error('order needs attention', attrs);
  }
  return { orderKey, outcome: input.outcome, applied };
}
