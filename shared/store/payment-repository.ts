import { factKey, type MoneyFact } from '../domain/money';
import { ItemKeys } from './item-keys';
import { mustExist, type Table, tryUpdate, updateItem } from './table';
import { Update } from './update';

/**
 * A payment by the provider's id (`provider:store:<payment id>`), for refunds and disputes that name only the payment
 * (a Stripe PaymentIntent): the order that made the payment and the facts that came for it meet on this one item,
 * whichever arrives first. Each method is one conditional write and returns the item as it stands after it.
 */
export interface PaymentLinkStore {
  /** The order claims its payment (the first order to claim it keeps it) and reads the facts that came before it. */
  claimPayment(paymentKey: string, orderKey: string, now: Date): Promise<PaymentLink>;
  /** Notes a fact that names only the payment; the answer says which order (if any) has claimed it. */
  notePaymentFact(paymentKey: string, fact: MoneyFact, now: Date): Promise<PaymentLink>;
}

/** A payment item as it stands: the order that claimed it, and the facts that named only the payment. */
export interface PaymentLink {
  paymentKey: string;
  /** The order that claimed the payment, once one has. */
  orderKey?: string;
  /** Facts that came naming only the payment, each once. */
  facts: MoneyFact[];
}

const linkOf = (paymentKey: string) => `payment ${paymentKey}`;

/** The defaults of a payment item's first write, whichever side makes it. */
function asPaymentItem(update: Update, paymentKey: string, at: string): Update {
  return update
    .set('paymentKey', paymentKey)
    .set('kind', 'payment')
    .set('updatedAt', at)
    .setDefault('createdAt', at);
}

/**
 * Payments by the provider's id (`PAYMENT#<paymentKey>`): a refund or dispute that names only its payment (a Stripe
 * PaymentIntent) and the order that made the payment meet on this one item. Each side writes it in one conditional
 * write and reads what the other left, so whichever comes second sees the first — strongly consistent, unlike an
 * index an order is found by.
 */
export function paymentRepository(table: Table): PaymentLinkStore {
  return {
    async claimPayment(paymentKey, orderKey, now) {
      const claim = asPaymentItem(new Update(), paymentKey, now.toISOString()).setDefault(
        'orderKey',
        orderKey,
      );
      const item = await updateItem<PaymentLink>(table, ItemKeys.payment(paymentKey), claim);
      return { ...item, facts: item.facts ?? [] };
    },

    async notePaymentFact(paymentKey, fact, now) {
      const note = asPaymentItem(new Update(), paymentKey, now.toISOString())
        .append('factIds', [factKey(fact)])
        .append('facts', [fact]);
      const written = await tryUpdate<PaymentLink>(
        table,
        ItemKeys.payment(paymentKey),
        note,
        `NOT contains(${note.name('factIds')}, ${note.value(factKey(fact))})`,
      );
      const item = written.applied ? written.item : mustExist(await written.current(), linkOf(paymentKey));
      return { ...item, facts: item.facts ?? [] };
    },
  };
}
