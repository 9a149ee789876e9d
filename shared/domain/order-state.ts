/**
 * Where an order stands, and what a person must do when the workflow cannot finish it alone. The store, the
 * workflow, the ops CLI and the console all read these one lists; nothing here depends on any of them.
 */

// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';

/**
 * How an execution ends, which is also the order's final state. `needs_attention` and `failed` wait for a person
 * (see {@link Attention}); `closed` is a person's decision to provision nothing more.
 */
export const Outcomes = [
  'fulfilled',
  'payment_failed',
  'expired',
  'refunded',
  'needs_attention',
  'failed',
  'closed',
] as const;
export type Outcome = (typeof Outcomes)[number];

/** `open` while an execution runs, `awaiting_payment` while a task token waits; otherwise an {@link Outcome}. */
export type OrderState = 'open' | 'awaiting_payment' | Outcome;

/** Every state, for filters and validation. */
export const OrderStates: readonly OrderState[] = ['open', 'awaiting_payment', ...Outcomes];

/** True when no execution runs or waits for the order: its state is an outcome. */
export function isTerminal(state: OrderState): boolean {
  return (Outcomes as readonly string[]).includes(state);
}

/** Where the buyer's money stands, as the money facts say (paid from the first payment fact). */
export type PaymentStatus = 'unpaid' | 'paid' | 'failed';

/** What a Catch with ResultPath `$.error` leaves in the state. */
export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof CaughtErrorSchema>;

/**
 * Why an order waits for a person. Each has exactly one way out (the action the order names):
 * - `missing_details`: a genuine order lacks what a new Yay customer needs → `ops complete` with the fields;
 * - `unpriced`: the order carries no credit amount the catalog can price → `ops complete --credit`;
 * - `transfer_review`: a transfer's outcome could not be proven from Yay → `ops resolve-transfer`;
 * - `credit_undecided`: the money facts do not say exactly how much credit is owed (a partial refund naming no line
 *   of an order of several lines, figures that do not add up) → `ops complete --credit` with the amount, or
 *   `ops close` when nothing is owed;
 * - `disputed`: the buyer disputed the payment before credit moved → once it is settled, `ops complete --credit`,
 *   or `ops close`;
 * - `refund_after_credit`: the store refunded (or the buyer disputed) after credit moved, which Yay cannot reverse
 *   → settle it in Yay by hand, then `ops close`;
 * - `order_missing`: money came for an order the store never sent → check the store, then `ops close`;
 * - `failed`: a definite error (credentials, a refusal, configuration) → fix it, then `ops replay`.
 */
export const AttentionReasons = [
  'missing_details',
  'unpriced',
  'transfer_review',
  'credit_undecided',
  'disputed',
  'refund_after_credit',
  'order_missing',
  'failed',
] as const;
export type AttentionReason = (typeof AttentionReasons)[number];

/** What the order item carries while a person is needed; never a secret or a task token. */
export interface Attention {
  reason: AttentionReason;
  /** What is wrong, naming the field where there is one (`buyer.firstName`, `address.street_one`). */
  message: string;
  /** The one command that resolves it, ready to copy. */
  action: string;
  /** Fields a person must supply (`missing_details` only). */
  fields?: string[];
  /** ISO-8601 time the order started waiting. */
  since: string;
}

/** The `ops complete` flag that supplies each field an order may lack. */
export const CompletionFlags: Readonly<Record<string, string>> = {
  'buyer.firstName': '--first-name',
  'buyer.lastName': '--last-name',
  'buyer.email': '--email',
  'address.street_one': '--street',
  'address.city': '--city',
  'address.zip': '--zip',
  'address.country_code': '--country',
  'credit.amount': '--credit',
};

/** The command that resolves an attention reason for one order (shell-quoted order key). */
export function attentionAction(reason: AttentionReason, orderKey: string, fields: readonly string[] = []) {
  const ops = (command: string) => `npm run ops -- ${command} '${orderKey.replaceAll("'", "'\\''")}'`;
  switch (reason) {
    case 'missing_details': {
      const flags = fields.map((field) => `${CompletionFlags[field] ?? `--${field}`} …`);
      return `${ops('complete')} ${flags.join(' ')}`.trimEnd();
    }
    case 'unpriced':
      return `${ops('complete')} --credit <amount, e.g. 10.000>`;
    case 'transfer_review':
      return `${ops('resolve-transfer')} --applied|--not-applied (check the customer's balance in Yay first)`;
    case 'credit_undecided':
      return `${ops('complete')} --credit <amount owed, e.g. 9.000>, or ${ops('close')} --reason … if nothing is owed`;
    case 'disputed':
      return `once the dispute is settled: ${ops('complete')} --credit <amount owed>, or ${ops('close')} --reason …`;
    case 'refund_after_credit':
      return `settle the credit in Yay by hand, then ${ops('close')} --reason …`;
    case 'order_missing':
      return `check the store for the order, then ${ops('close')} --reason …`;
    case 'failed':
      return `fix the cause in lastError, then ${ops('replay')}`;
  }
}
