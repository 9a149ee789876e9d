import { executionName } from '../domain/keys';
import type { OrderEvent } from '../domain/order-event';
import { OrderInvalid } from '../errors';
import type { OrderRecord, OrderStore, ReplayChange } from '../store/order-repository';
import type { ExecutionInput } from './contract';
import type { Observability, WorkflowControl } from './ports';

export interface ReplayDeps extends Observability {
  orders: OrderStore;
  workflow: WorkflowControl;
}

export interface ReplayResult {
  executionName: string;
  executionArn: string;
}

/** What {@link startExecution} did. */
export interface StartResult {
  action: 'started' | 'already_started' | 'ignored';
  executionArn?: string;
  detail?: string;
}

/**
 * Starts (or finds) the execution for an open order, under the name the order records. The stored event is
 * the input, not the triggering one: the same name with the same input is what makes a repeated
 * StartExecution a no-op rather than a conflict.
 */
export async function startExecution(
  deps: Pick<ReplayDeps, 'orders' | 'workflow' | 'log' | 'now'>,
  order: OrderRecord,
  fallbackEvent?: OrderEvent,
): Promise<StartResult> {
  const event = order.event ?? fallbackEvent;
  if (!event) return { action: 'ignored', detail: 'no order event recorded yet' };
  const name = order.executionName ?? executionName(order.orderKey, order.replays || undefined);
  const arn = deps.workflow.executionArn(name);
  const input: ExecutionInput = { order: event, executionArn: arn };
  const started = await deps.workflow.start(name, input);
  if (order.executionArn !== started.executionArn) {
    await deps.orders.setExecution(order.orderKey, name, started.executionArn, deps.now());
  }
  deps.log.info(started.alreadyExists ? 'execution already exists' : 'execution started', {
    orderKey: order.orderKey,
    execution: started.executionArn,
  });
  return {
    action: started.alreadyExists ? 'already_started' : 'started',
    executionArn: started.executionArn,
  };
}

/**
 * Claims the order's next replay (`-r<n>`, one conditional write, so two claims never both win) and starts
 * it. `change` may replace the event and record a person's decision and action in that same write.
 * Resolves undefined when someone else claimed it first or the order left `change.fromStates`. A crash
 * between the claim and the start leaves an open order without an execution, which the sweep starts.
 */
export async function claimReplay(
  deps: ReplayDeps,
  order: OrderRecord,
  reason: string,
  change: ReplayChange = {},
): Promise<ReplayResult | undefined> {
  const event = change.event ?? order.event;
  if (!event) {
    throw new OrderInvalid(
      `order ${order.orderKey} has only payment events so far; there is nothing to replay yet`,
    );
  }
  const name = executionName(order.orderKey, order.replays + 1);
  if (!(await deps.orders.beginReplay(order.orderKey, order.replays, name, reason, deps.now(), change))) {
    return undefined;
  }
  const arn = deps.workflow.executionArn(name);
  const input: ExecutionInput = { order: event, executionArn: arn };
  const started = await deps.workflow.start(name, input);
  await deps.orders.setExecution(order.orderKey, name, started.executionArn, deps.now());
  deps.log.info('order replayed', { orderKey: order.orderKey, execution: started.executionArn, reason });
  return { executionName: name, executionArn: started.executionArn };
}

/**
 * Starts a fresh execution for an order (`npm run ops -- replay <order>`, and the sweep for an execution
 * that failed while the order was open). Every step is idempotent, so a replay can never create a second
 * customer or move credit twice. Refuses while the current execution runs (two executions would fight over
 * the payment token) unless `force`.
 */
export async function replayOrder(
  deps: ReplayDeps,
  orderKey: string,
  reason: string,
  options: { force?: boolean; action?: ReplayChange['action'] } = {},
): Promise<ReplayResult> {
  const order = await deps.orders.get(orderKey);
  if (!order) throw new OrderInvalid(`order ${orderKey} is not recorded`);
  if (!options.force && order.executionName) {
    const current = order.executionArn ?? deps.workflow.executionArn(order.executionName);
    if ((await deps.workflow.status(current)) === 'RUNNING') {
      throw new OrderInvalid(
        `order ${orderKey} is still running as ${order.executionName}; stop it first or force`,
      );
    }
  }
  const result = await claimReplay(deps, order, reason, options.action ? { action: options.action } : {});
  if (!result) {
    throw new OrderInvalid(`order ${orderKey} was replayed by someone else just now; check its status`);
  }
  return result;
}
