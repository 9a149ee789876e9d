import { ErrorNames, OrderInvalid } from '../errors';
import type { OrderStore } from '../store/order-repository';
import type { AwaitPaymentInput } from './contract';
import type { Observability, WorkflowControl } from './ports';

export interface AwaitPaymentDeps extends Observability {
  orders: OrderStore;
  workflow: WorkflowControl;
}

export type AwaitPaymentAction = 'waiting' | 'resumed_paid' | 'resumed_failed' | 'already_closed';

/**
 * "Wait for payment" (the `.waitForTaskToken` task): the race-free half of docs/design.md §6. The token is
 * stored only while the order is unpaid (one conditional write); if a confirmation got in first, the task
 * is resumed here at once. Dispatch does the other half. The token is never logged.
 */
export async function awaitPayment(
  deps: AwaitPaymentDeps,
  input: AwaitPaymentInput,
): Promise<AwaitPaymentAction> {
  const result = await deps.orders.storeTaskToken(input.orderKey, input.taskToken, deps.now());
  if (result.stored) {
    deps.log.info('waiting for payment', { orderKey: input.orderKey });
    return 'waiting';
  }
  const { order } = result;
  if (!order) throw new OrderInvalid(`order ${input.orderKey} is not recorded; record customer runs first`);
  if (order.payment === 'paid') {
    const resumed = await deps.workflow.resume(input.taskToken, { paid: true });
    deps.log.info('already paid: resumed at once', { orderKey: input.orderKey, resumed: resumed.resumed });
    return resumed.resumed ? 'resumed_paid' : 'already_closed';
  }
  const failed = await deps.workflow.fail(
    input.taskToken,
    ErrorNames.PaymentFailed,
    'the store reported the payment failed',
  );
  deps.log.info('payment already failed: ended the wait', {
    orderKey: input.orderKey,
    resumed: failed.resumed,
  });
  return failed.resumed ? 'resumed_failed' : 'already_closed';
}
