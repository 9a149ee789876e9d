// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (454 KB against 85 KB, measured).
import * as z from 'zod';
import { OrderEventSchema } from '../domain/order-event';
import { CaughtErrorSchema, Outcomes } from '../domain/order-state';
import { OrderInvalid } from '../errors';

/**
 * The schemas of what each step receives and returns. They are the one definition: the types of
 * shared/workflow/contract.ts are inferred from them (`z.infer`), and each handler validates its input with one.
 */

/**
 * Input validation for every step. A malformed payload throws {@link OrderInvalid} naming each bad field
 * (the state machine catches it by name → outcome failed), before anything is written.
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new OrderInvalid(`${what} is invalid: ${fields}`);
}

export const ExecutionInputSchema = z.object({
  order: OrderEventSchema,
  /**
   * The execution's own ARN, set by dispatch / sweep / replay when they start it (the name is known up
   * front), so every step's log lines carry it. Optional: a console start may leave it out.
   */
  executionArn: z.string().optional(),
});

export const CustomerRefSchema = z.object({
  uuid: z.string().min(1),
  /** The platform-unique Yay customer name (derived from the buyer key). */
  name: z.string().min(1),
  /** True when this call created it; false when an existing customer was reused or adopted. */
  created: z.boolean(),
  /**
   * True for the order the customer was created for (on its replays too): its welcome e-mail tells the buyer
   * everything, so it gets no receipt. Absent on inputs from before it existed: treated as false.
   */
  firstOrder: z.boolean().optional(),
});

/** What Record customer returns and a resumed Wait for payment carries (`SendTaskSuccess` output). */
export const PaymentStateSchema = z.object({ paid: z.boolean() });

export const RecordCustomerInputSchema = ExecutionInputSchema.extend({ customer: CustomerRefSchema });

/** Await-payment's payload; the handler stores the token unless the order is already paid. */
export const AwaitPaymentInputSchema = z.object({
  orderKey: z.string().min(1),
  taskToken: z.string().min(1),
  /** Optional `$$.Execution.Id`, only for log lines. */
  executionArn: z.string().optional(),
});

export const TransferInputSchema = ExecutionInputSchema.extend({ customer: CustomerRefSchema });

/**
 * What Transfer credit decided from the order's money facts: APPLIED, the credit moved; NOTHING_OWED, paid but nothing
 * is owed (a free order not credited, a person's decision); CANCELLED, refunded in full before any call; SKIPPED, the
 * order is unpriced (a person prices it); HELD, only a person can tell what is owed (a dispute, a refund that cannot
 * be turned into credit exactly).
 */
export const TransferStatusSchema = z.enum(['APPLIED', 'NOTHING_OWED', 'CANCELLED', 'SKIPPED', 'HELD']);

export const TransferResultSchema = z.object({
  status: TransferStatusSchema,
  /** Thousandths of a pound moved (0 unless APPLIED). */
  amount: z.number().int().nonnegative(),
  /** Why no credit moved (the figures, when HELD). */
  reason: z.string().optional(),
  /** HELD: what the person decides, as the attention reason. */
  hold: z.enum(['credit_undecided', 'disputed']).optional(),
  /** The customer's balance after the transfer (thousandths), when it was read just before it. */
  balanceAfter: z.number().int().optional(),
  /**
   * The order's fact count the decision was made on: a refund recorded after it came after the credit moved
   * (APPLIED), and an outcome that gives no credit is written only while the facts still stand at it.
   */
  factCount: z.number().int().nonnegative().optional(),
});

export const ReconcileDecisionSchema = z.enum(['applied', 'retry', 'needs_review']);

export const ReconcileResultSchema = z.object({
  decision: ReconcileDecisionSchema,
  reason: z.string(),
  /** When `applied`: the credit that moved and the customer's balance read to prove it (thousandths). */
  amount: z.number().int().nonnegative().optional(),
  balanceAfter: z.number().int().optional(),
  /** When `applied`: the order's fact count the transfer's amount was derived from. */
  factCount: z.number().int().nonnegative().optional(),
});

export const RecordOutcomeInputSchema = ExecutionInputSchema.extend({
  outcome: z.enum(Outcomes),
  customer: CustomerRefSchema.optional(),
  transfer: TransferResultSchema.optional(),
  reconcile: ReconcileResultSchema.optional(),
  error: CaughtErrorSchema.optional(),
});
