import { factKey } from '../domain/money';
import { ItemKeys, mustExist, type Table, tryUpdate, Update, updateItem } from './table';
import type { PaymentLink, PaymentLinkStore } from './types';

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
