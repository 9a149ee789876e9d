/** Waiting for an order: on the runtime's changes, never on a timer. */
import type { EventEmitter } from 'node:events';
import type { OrderState } from '../../shared/domain/order-state';
import { type DynamoStore, isTerminal, type OrderView, type TransferIntent } from '../../shared/store';
import type { LocalStepFunctions } from '../aws/step-functions/engine';

/**
 * Resolves with the order once it is terminal and no execution of it runs (or, given `state`, once it is in that
 * state). Looks at the table now, then again whenever an execution closes or an invocation settles (whatever
 * changed the order ran as one of those), never on a timer; rejects naming the order and its last state after
 * `timeoutMs`.
 */
export function waitForOrder(
  runtime: { store: DynamoStore; workflow: LocalStepFunctions; changes: EventEmitter<{ change: [] }> },
  orderKey: string,
  timeoutMs: number,
  state?: OrderState,
): Promise<OrderView & { transfer?: TransferIntent }> {
  const { store, workflow, changes } = runtime;
  return new Promise((resolve, reject) => {
    let last: (OrderView & { transfer?: TransferIntent }) | undefined;
    let reading = false;
    let again = false;
    let settled = false;
    const settle = (outcome: () => void) => {
      settled = true;
      clearTimeout(timer);
      changes.off('change', look);
      outcome();
    };
    function look(): void {
      if (settled) return;
      if (reading) {
        again = true;
        return;
      }
      // Waiting for the end: while an execution of it runs, its close is the next change that matters.
      if (state === undefined && workflow.isRunning(orderKey)) return;
      reading = true;
      store
        .getOrder(orderKey)
        .then(
          (order) => {
            last = order;
            const reached =
              state === undefined
                ? order && isTerminal(order.state) && !workflow.isRunning(orderKey)
                : order?.state === state;
            if (order && reached) settle(() => resolve(order));
          },
          (error: unknown) => settle(() => reject(error)),
        )
        .finally(() => {
          reading = false;
          if (again) {
            again = false;
            look();
          }
        });
    }
    const timer = setTimeout(() => {
      if (settled) return;
      settle(() => undefined);
      // Read once more: while an execution ran nothing was read, and the message names the state it is in.
      void store
        .getOrder(orderKey)
        .catch(() => last)
        .then((order) =>
          reject(
            new Error(
              `order ${orderKey} did not ${state ? `reach ${state}` : 'finish'} within ${timeoutMs} ms (last state: ${order ? order.state : 'not recorded'})`,
            ),
          ),
        );
    }, timeoutMs);
    changes.on('change', look);
    look();
  });
}
