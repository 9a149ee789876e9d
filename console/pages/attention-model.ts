/**
 * The Needs attention page's model: the orders a person must act on, grouped by what to do.
 *
 * Built from the console's sources: a plain view model with the fields the page shows and no others. A record
 * never reaches a page whole, so a field added to the table later (a token, a sealed password) is not shown by
 * accident.
 */
import type { AttentionReason } from '../../shared/domain/order-state';
import { type ActionId, actionById, resolvingActions } from '../actions';
import type { ConsoleSources } from '../sources';
import { type OrderRow, rowOf } from './orders-model';

export interface AttentionItem extends OrderRow {
  reason: AttentionReason;
  message: string;
  since: string;
  /** The ops CLI command that does the same. */
  command: string;
  actions: Array<{ id: ActionId; label: string }>;
}

export interface AttentionGroup {
  title: string;
  explains: string;
  items: AttentionItem[];
}

const GROUPS: ReadonlyArray<{ title: string; explains: string; reasons: AttentionReason[] }> = [
  {
    title: 'Transfers needing review',
    explains:
      "Yay's balances could not prove whether the credit arrived. Check the customer in Yay, then decide.",
    reasons: ['transfer_review'],
  },
  {
    title: 'Failed orders',
    explains: 'A definite error (credentials, a refusal, configuration). Fix the cause, then replay.',
    reasons: ['failed'],
  },
  {
    title: 'Refunds after credit',
    explains:
      'The store refunded after the credit moved, which Yay cannot reverse. Settle it in Yay, then close.',
    reasons: ['refund_after_credit'],
  },
  {
    title: 'Credit to decide',
    explains:
      'The money does not say exactly what is owed (a partial refund naming no line, a dispute, figures that do not add up). Decide the credit, or close.',
    reasons: ['credit_undecided', 'disputed'],
  },
  {
    title: 'Money without an order',
    explains: 'A payment came for an order the store never sent. Check the store, then close.',
    reasons: ['order_missing'],
  },
  {
    title: 'Orders missing details',
    explains:
      'A genuine order lacks what a new Yay customer needs, or a price. Supply it and the order resumes.',
    reasons: ['missing_details', 'unpriced'],
  },
];

/** The home page: every order waiting for a person (one query of the ATTENTION queue), grouped by what it needs. */
export async function attentionGroups(sources: ConsoleSources): Promise<AttentionGroup[]> {
  const waiting = await sources.store.listAttention();
  const items = waiting.flatMap((order): AttentionItem[] => {
    const attention = order.attention;
    if (!attention) return [];
    return [
      {
        ...rowOf(order),
        reason: attention.reason,
        message: attention.message,
        since: attention.since,
        command: attention.action,
        actions: resolvingActions(attention.reason).map((id) => ({
          id,
          label: actionById(id)?.label ?? id,
        })),
      },
    ];
  });
  return GROUPS.map((group) => ({
    title: group.title,
    explains: group.explains,
    items: items.filter((item) => group.reasons.includes(item.reason)),
  }));
}
