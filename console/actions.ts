/**
 * What an operator can do from the console: the same use cases as the ops CLI (replay, resolve-transfer,
 * complete, close), each recorded on the order by the use case itself (what, when, the reason typed), plus the
 * optional resend-welcome of console/integrations.ts. One registry: a page offers an action only where
 * `offered` says so, and the POST handler refuses any other.
 */
import { formatCredit, parseTransferAmount } from '../shared/domain/credit';
import { type AttentionReason, isTerminal } from '../shared/domain/order-state';
import type { DynamoStore } from '../shared/store';
import { closeOrder, completeOrder, type OrderCompletion } from '../shared/workflow/attention';
import { resolveTransfer } from '../shared/workflow/reconcile-transfer';
import { replayOrder } from '../shared/workflow/replay';
import type { OperatorActions } from './sources';

/** An order as the action pages read it: the view (no task token) with its transfer intent. */
export type OrderDetails = NonNullable<Awaited<ReturnType<DynamoStore['getOrder']>>>;

export type ActionId =
  | 'replay'
  | 'resolve-applied'
  | 'resolve-not-applied'
  | 'complete'
  | 'close'
  | 'resend-welcome';

/** One input of an action's form besides the reason. */
export interface FieldSpec {
  name: string;
  label: string;
  type: 'text' | 'checkbox';
  /** The order lacks it (the attention names it). */
  missing?: boolean;
  hint?: string;
}

/** A refusal of what the person typed: shown on the form, nothing is changed. */
export class FormError extends Error {}

export interface ActionDefinition {
  id: ActionId;
  /** The button. */
  label: string;
  /** Whether this order can take the action now. */
  offered(order: OrderDetails, actions: OperatorActions): boolean;
  /** What confirming will do, in one sentence naming the order's money. */
  consequence(order: OrderDetails): string;
  fields?(order: OrderDetails): FieldSpec[];
  /** Runs the use case; resolves with one sentence saying what it did. */
  run(actions: OperatorActions, order: OrderDetails, reason: string, form: FormValues): Promise<string>;
}

export type FormValues = Readonly<Record<string, string | undefined>>;

/** The order's credit in words: "10.000 GBP", or why there is none (`short`: just "unpriced", for a list). */
export function creditText(order: Pick<OrderDetails, 'event'>, options: { short?: boolean } = {}): string {
  const credit = order.event?.credit;
  if (!credit) return options.short ? '—' : 'no order details yet';
  if (credit.amount === null && options.short) return 'unpriced';
  return credit.amount === null
    ? `unpriced (${credit.unpricedReason ?? 'no amount'})`
    : `${formatCredit(credit.amount)} ${credit.currency}`;
}

/** The amount at stake in a transfer decision: the intent's, which is what moved or will move. */
function transferText(order: OrderDetails): string {
  return order.transfer ? `${formatCredit(order.transfer.amount)} GBP` : creditText(order);
}

const undecided = (order: OrderDetails) =>
  order.transfer?.status === 'NEEDS_REVIEW' || order.transfer?.status === 'UNKNOWN';

/** The `ops complete` fields, by the path an attention names them with. */
const COMPLETION_FIELDS: ReadonlyArray<FieldSpec & { path?: string }> = [
  { name: 'firstName', label: 'First name', type: 'text', path: 'buyer.firstName' },
  { name: 'lastName', label: 'Last name', type: 'text', path: 'buyer.lastName' },
  { name: 'email', label: 'E-mail', type: 'text', path: 'buyer.email' },
  { name: 'street', label: 'Street', type: 'text', path: 'address.street_one' },
  { name: 'street2', label: 'Street, second line', type: 'text' },
  { name: 'city', label: 'City', type: 'text', path: 'address.city' },
  { name: 'zip', label: 'Postcode', type: 'text', path: 'address.zip' },
  { name: 'state', label: 'County / state', type: 'text' },
  {
    name: 'country',
    label: 'Country',
    type: 'text',
    path: 'address.country_code',
    hint: 'two letters, e.g. GB',
  },
];
const CREDIT_FIELD: FieldSpec = { name: 'credit', label: 'Credit (GBP)', type: 'text', hint: 'e.g. 10.000' };
const OWED_FIELD: FieldSpec = {
  name: 'credit',
  label: 'Credit owed (GBP)',
  type: 'text',
  hint: 'what the money owes, from the figures above, e.g. 9.000',
};

function completionFields(order: OrderDetails): FieldSpec[] {
  switch (order.attention?.reason) {
    case 'unpriced':
      return [{ ...CREDIT_FIELD, missing: true }];
    case 'credit_undecided':
    case 'disputed':
      return [{ ...OWED_FIELD, missing: true }];
    default: {
      const lacking = new Set(order.attention?.fields ?? []);
      return [
        ...COMPLETION_FIELDS.map(({ path, ...field }) =>
          path && lacking.has(path) ? { ...field, missing: true } : field,
        ),
        ...(lacking.has('credit.amount') ? [{ ...CREDIT_FIELD, missing: true }] : []),
      ];
    }
  }
}

/**
 * What the form supplies, as `ops complete` takes it. A blank field supplies nothing (a form sends every field);
 * a bad country or amount is refused naming the field.
 */
export function completionFromForm(form: FormValues): OrderCompletion {
  const completion: OrderCompletion = {};
  for (const field of COMPLETION_FIELDS) {
    const value = form[field.name]?.trim();
    if (value) (completion as Record<string, string>)[field.name] = value;
  }
  if (completion.country !== undefined && !/^[A-Za-z]{2}$/.test(completion.country)) {
    throw new FormError(`Country must be a two-letter ISO code such as GB; got "${completion.country}"`);
  }
  const credit = form.credit?.trim();
  if (credit) {
    try {
      completion.credit = parseTransferAmount(credit);
    } catch (error) {
      throw new FormError(`Credit: ${(error as Error).message}`);
    }
  }
  if (Object.keys(completion).length === 0) {
    throw new FormError('Supply at least one field: nothing was changed');
  }
  return completion;
}

const completable: readonly AttentionReason[] = [
  'missing_details',
  'unpriced',
  'credit_undecided',
  'disputed',
];

export const ACTIONS: readonly ActionDefinition[] = [
  {
    id: 'resolve-applied',
    label: 'Credit was applied',
    offered: undecided,
    consequence: (order) =>
      `Records that the transfer of ${transferText(order)} reached the customer: the order becomes fulfilled and no credit moves now.`,
    async run({ deps }, order, reason) {
      const { intent } = await resolveTransfer(deps, order.orderKey, 'applied', reason);
      return `The transfer is now ${intent.status}; the order is fulfilled.`;
    },
  },
  {
    id: 'resolve-not-applied',
    label: 'Credit was not applied',
    offered: undecided,
    consequence: (order) =>
      `Records that the transfer of ${transferText(order)} did not reach the customer: a new execution moves it, once.`,
    async run({ deps }, order, reason) {
      const { intent, replay } = await resolveTransfer(deps, order.orderKey, 'not-applied', reason);
      return replay
        ? `The transfer is now ${intent.status}; resumed as ${replay.executionName}, which moves the credit once.`
        : `The transfer is now ${intent.status}; the order's running execution moves the credit.`;
    },
  },
  {
    id: 'complete',
    label: 'Complete the order',
    offered: (order) =>
      order.state === 'needs_attention' &&
      order.event !== undefined &&
      completable.includes(order.attention?.reason as AttentionReason),
    consequence: (order) =>
      `Supplies what the order lacks and resumes it as a new execution, which moves ${creditText(order)} once it can.`,
    fields: completionFields,
    async run({ deps }, order, reason, form) {
      const result = await completeOrder(deps, order.orderKey, completionFromForm(form), reason);
      return `Completed: resumed as ${result.executionName}.`;
    },
  },
  {
    id: 'replay',
    label: 'Replay',
    // Not for a refunded order: there is nothing left to provision.
    offered: (order) =>
      isTerminal(order.state) && order.event !== undefined && !order.refunded && !undecided(order),
    consequence: (order) =>
      `Starts a fresh execution of the order (credit ${creditText(order)}). Every step is idempotent: no second customer, no credit moved twice.`,
    async run({ deps }, order, reason) {
      const result = await replayOrder(deps, order.orderKey, reason, {
        action: { action: 'replay', at: deps.now().toISOString(), reason },
      });
      return `Replayed as ${result.executionName}.`;
    },
  },
  {
    id: 'close',
    label: 'Close',
    offered: (order) => order.attention !== undefined && order.attention.reason !== 'transfer_review',
    consequence: (order) =>
      `Settles the order's attention with nothing more done by the system (credit ${creditText(order)}): a parked order becomes closed.`,
    async run({ deps }, order, reason) {
      const closed = await closeOrder(deps, order.orderKey, reason);
      return `Closed: the order is ${closed.state} and waits for nobody.`;
    },
  },
  {
    id: 'resend-welcome',
    label: 'Resend welcome',
    offered: (order, actions) => actions.resendWelcome !== undefined && order.customerName !== undefined,
    consequence: (order) =>
      `Sends the welcome e-mail of customer ${order.customerName ?? ''} again (this order's credit: ${creditText(order)}).`,
    run: (actions, order, reason) => {
      if (!actions.resendWelcome) throw new FormError('Resending the welcome is not available here');
      return actions.resendWelcome(order.orderKey, reason);
    },
  },
];

export function actionById(id: string): ActionDefinition | undefined {
  return ACTIONS.find((action) => action.id === id);
}

/** The one way out of each attention reason (two buttons for a transfer decision, one decision). */
export function resolvingActions(reason: AttentionReason): ActionId[] {
  switch (reason) {
    case 'transfer_review':
      return ['resolve-applied', 'resolve-not-applied'];
    case 'missing_details':
    case 'unpriced':
      return ['complete'];
    case 'credit_undecided':
    case 'disputed':
      // Decide the credit the money owes, or close the order if nothing is owed.
      return ['complete', 'close'];
    case 'refund_after_credit':
    case 'order_missing':
      return ['close'];
    case 'failed':
      return ['replay'];
  }
}

/**
 * What an order looked like when its confirmation was shown. The POST must find it unchanged, so a form sent
 * twice, or after someone else acted, is refused before any use case runs.
 */
export function fingerprint(order: OrderDetails): string {
  return [order.updatedAt, order.replays, order.transfer?.status ?? '', order.transfer?.updatedAt ?? ''].join(
    '|',
  );
}
