import type { OrderEvent } from '../domain/order-event';
import type { CaughtError, Outcome } from '../domain/order-state';

export { type CaughtError, type Outcome, Outcomes } from '../domain/order-state';

/**
 * The data contract of the `CustomerProvisioning` state machine: what each Lambda step receives and
 * returns, and where the state machine puts it (ResultPath). Infra builds the graph from these names;
 * handlers implement them. Every step is idempotent: the same input twice gives the same effect once.
 *
 * Execution input (from dispatch, a console start, or a replay): {@link ExecutionInput}.
 *
 * Create customer   (create-customer)   payload $            → $.customer : CustomerRef
 *                   Catch OrderIncomplete → outcome needs_attention (a person supplies the fields)
 * Record customer   (record-customer)   payload $            → $.payment  : PaymentState
 * Payment confirmed? Choice  $.payment.paid == true → Transfer credit, else → Wait for payment
 * Wait for payment  (await-payment, .waitForTaskToken, timeout = payment window)
 *                   payload { orderKey: $.order.orderKey, taskToken: $$.Task.Token } → $.payment : PaymentState
 *                   Catch States.Timeout → outcome expired; Catch PaymentFailed → outcome payment_failed
 * Transfer credit   (transfer-credit)   payload $            → $.transfer : TransferResult
 *                   Retry ResellerBalanceTooLow hourly (alarmed), LeaseBusy, YayUnavailable, YayRateLimited
 *                   Catch TransferOutcomeUnknown → Reconcile transfer
 * Credit moved?     Choice  $.transfer.status == APPLIED → outcome fulfilled, CANCELLED → outcome refunded,
 *                   SKIPPED (unpriced) → outcome needs_attention
 * Reconcile transfer(reconcile-transfer) payload $           → $.reconcile : ReconcileResult
 *                   Choice applied → outcome fulfilled; retry → Transfer credit; needs_review → outcome needs_attention
 * Record outcome    (record-outcome)    payload $ (with $.outcome set by a Pass state, $.error by a Catch)
 *                   → $.recorded; then Choice: outcome failed → Fail, else Succeed.
 * Any other caught error (Catch States.ALL with ResultPath $.error) → outcome failed → Record outcome.
 */
export interface ExecutionInput {
  order: OrderEvent;
  /**
   * The execution's own ARN, set by dispatch / sweep / replay when they start it (the name is known up
   * front), so every step's log lines carry it. Optional: a console start may leave it out.
   */
  executionArn?: string;
}

export interface CustomerRef {
  uuid: string;
  /** The platform-unique Yay customer name (derived from the buyer key). */
  name: string;
  /** True when this call created it; false when an existing customer was reused or adopted. */
  created: boolean;
}

export interface PaymentState {
  paid: boolean;
}

/** APPLIED: the credit moved. SKIPPED: the order is unpriced (a person prices it). CANCELLED: refunded first. */
export type TransferStatus = 'APPLIED' | 'SKIPPED' | 'CANCELLED';
export interface TransferResult {
  status: TransferStatus;
  /** Thousandths of a pound moved (0 unless APPLIED). */
  amount: number;
  /** Why no credit moved, when SKIPPED or CANCELLED. */
  reason?: string;
}

export type ReconcileDecision = 'applied' | 'retry' | 'needs_review';
export interface ReconcileResult {
  decision: ReconcileDecision;
  reason: string;
}

export interface RecordOutcomeInput extends ExecutionInput {
  outcome: Outcome;
  customer?: CustomerRef;
  transfer?: TransferResult;
  reconcile?: ReconcileResult;
  error?: CaughtError;
}

/** Await-payment's payload; the handler stores the token unless the order is already paid. */
export interface AwaitPaymentInput {
  orderKey: string;
  taskToken: string;
  /** Optional `$$.Execution.Id`, only for log lines. */
  executionArn?: string;
}
