import type * as z from 'zod';
import type {
  AwaitPaymentInputSchema,
  CustomerRefSchema,
  ExecutionInputSchema,
  PaymentStateSchema,
  ReconcileDecisionSchema,
  ReconcileResultSchema,
  RecordOutcomeInputSchema,
  TransferInputSchema,
  TransferResultSchema,
  TransferStatusSchema,
} from './input';

export { type CaughtError, type Outcome, Outcomes } from '../domain/order-state';

/**
 * The data contract of the `CustomerProvisioning` state machine: what each Lambda step receives and
 * returns, and where the state machine puts it (ResultPath). Infra builds the graph to it
 * (infra/constructs/provisioning-workflow.ts; state and function names in infra/names.ts); handlers implement it.
 * Every step is idempotent: the same input twice gives the same effect once. Each type is inferred from the zod
 * schema in `input.ts` that its handler validates with, so the two cannot drift.
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
 * Credit moved?     Choice  $.transfer.status == APPLIED or NOTHING_OWED → outcome fulfilled, CANCELLED → outcome
 *                   refunded, SKIPPED (unpriced) or HELD (a person decides what is owed) → outcome needs_attention
 * Reconcile transfer(reconcile-transfer) payload $           → $.reconcile : ReconcileResult
 *                   Retry LeaseBusy (another transfer to the customer is under way), YayUnavailable, YayRateLimited
 *                   Choice applied → outcome fulfilled; retry → Transfer credit; needs_review → outcome needs_attention
 * Record outcome    (record-outcome)    payload $ (with $.outcome set by a Pass state, $.error by a Catch)
 *                   → $.recorded; then Choice: outcome failed → Fail, else Succeed.
 * Any other caught error (Catch States.ALL with ResultPath $.error) → outcome failed → Record outcome.
 */
export type ExecutionInput = z.infer<typeof ExecutionInputSchema>;

export type CustomerRef = z.infer<typeof CustomerRefSchema>;

export type PaymentState = z.infer<typeof PaymentStateSchema>;

/** What Transfer credit receives: the execution input with the customer Create customer put at `$.customer`. */
export type TransferInput = z.infer<typeof TransferInputSchema>;

/** What Transfer credit decided from the order's money facts (see `TransferStatusSchema`). */
export type TransferStatus = z.infer<typeof TransferStatusSchema>;
export type TransferResult = z.infer<typeof TransferResultSchema>;

export type ReconcileDecision = z.infer<typeof ReconcileDecisionSchema>;
export type ReconcileResult = z.infer<typeof ReconcileResultSchema>;

export type RecordOutcomeInput = z.infer<typeof RecordOutcomeInputSchema>;

/** Await-payment's payload; the handler stores the token unless the order is already paid. */
export type AwaitPaymentInput = z.infer<typeof AwaitPaymentInputSchema>;
