import { executionName } from '../domain/keys';
import { isTerminal } from '../domain/order-state';
import type { TransferIntent } from '../store/transfer-repository';
import { parkForPerson } from './park';
import { claimReplay } from './replay';
import type { SweepDeps, SweepReport } from './sweep';

/**
 * An undecided transfer (UNKNOWN, or IN_FLIGHT past its lease) is decided by an execution of its order, with the
 * graph's retries, never by the sweep: the execution's Transfer credit meets the intent and throws
 * TransferOutcomeUnknown, Reconcile transfer decides it from Yay's balances, and the outcome is recorded as for any
 * run. An open order is left to its execution (running, or started or replayed by the pass over open orders). A
 * finished one (e.g. its reconcile ran out of LeaseBusy retries and recorded `failed`) gets one replay, claimed by
 * a conditional write on its replay count and state, so concurrent sweeps start it once. A replay is harmless
 * whatever happened meanwhile: an intent decided since answers first (APPLIED → fulfilled again, never a second
 * call), and a refunded order is CANCELLED once the transfer is proven not applied.
 */
export async function replayToReconcile(
  deps: SweepDeps,
  intent: TransferIntent,
  maxReplays: number,
  report: SweepReport,
): Promise<void> {
  const order = await deps.orders.get(intent.orderKey);
  // Only a paid order's execution reaches Transfer credit (an intent implies a paid order): a replay of any other
  // would wait for a payment and decide nothing.
  if (!order || !isTerminal(order.state) || order.payment !== 'paid') return;
  const name = order.executionName ?? executionName(order.orderKey, order.replays || undefined);
  // The execution may still be between Record outcome and its end.
  if ((await deps.workflow.status(order.executionArn ?? deps.workflow.executionArn(name))) === 'RUNNING')
    return;
  if (order.replays >= maxReplays) {
    // Out of automatic replays: a person decides, as for a transfer reconciliation could not prove. A stale
    // IN_FLIGHT (no attempt holds its lease, no execution runs) is marked for review too, so resolve-transfer takes it.
    await deps.transfers.transition(
      order.orderKey,
      ['UNKNOWN', 'IN_FLIGHT'],
      'NEEDS_REVIEW',
      { reason: `still ${intent.status} after ${order.replays} automatic replays (sweep)` },
      deps.now(),
    );
    await parkForPerson(
      deps,
      order.orderKey,
      'transfer_review',
      `its transfer is still ${intent.status} after ${order.replays} automatic replays; check the customer's balance in Yay`,
    );
    report.gaveUp.push(order.orderKey);
    return;
  }
  const reason = `sweep: transfer ${intent.status}, reconciled by a new execution`;
  const replay = await claimReplay(deps, order, reason, { fromStates: [order.state] });
  // Claimed by someone else, or the order moved on: whoever moved it owns it now.
  if (!replay) return;
  report.replayed.push(order.orderKey);
  report.reconciling.push(order.orderKey);
}
