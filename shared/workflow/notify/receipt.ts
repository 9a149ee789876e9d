import { parseCredit, parseSignedCredit } from '../../domain/credit';
import type { CreditTransferred } from '../../domain/outbound-events';
import { EmailKeys } from '../../store/email-repository';
import { addressedOrder, buyerData, displayCredit, welcomeShowsCredit } from './message';
import { type EmailAttempt, type EmailOutcome, type NotifyDeps, sendOnce } from './send-once';

/**
 * The receipt of a paid order whose credit moved. The customer's first order has none when its welcome named the
 * credit; one paid after the welcome went out has its receipt.
 */
export async function sendReceipt(
  deps: NotifyDeps,
  fact: Pick<
    CreditTransferred,
    'orderKey' | 'customerName' | 'amount' | 'balanceAfter' | 'firstOrder' | 'buyerKey'
  >,
  options: { staleBefore?: Date } = {},
): Promise<EmailOutcome> {
  const key = EmailKeys.receipt(fact.orderKey);
  if (!fact.customerName) return { key, result: 'skipped', detail: 'the event names no customer' };
  if (fact.firstOrder) {
    const order = await deps.orders.get(fact.orderKey);
    const mapping = fact.buyerKey ? await deps.buyers.getCustomer(fact.buyerKey) : undefined;
    if (order && welcomeShowsCredit(order, mapping?.createdAt)) {
      return { key, result: 'skipped', detail: 'the welcome named this credit' };
    }
  }
  const spec: EmailAttempt = {
    type: 'receipt',
    key,
    orderKey: fact.orderKey,
    customerName: fact.customerName,
    amount: fact.amount,
    ...(fact.balanceAfter ? { balance: fact.balanceAfter } : {}),
  };
  const customerName = fact.customerName;
  return sendOnce(
    deps,
    spec,
    async () => {
      const { order, email } = await addressedOrder(deps, fact.orderKey);
      const data: Record<string, string> = {
        ...buyerData(order),
        credit: displayCredit(parseCredit(fact.amount)),
        loginUrl: deps.loginUrlFor(order.event.store),
        loginName: customerName,
      };
      // A balance may be below zero (calls past it): "-1.500" reads as such, never as a refused amount.
      if (fact.balanceAfter) data.balance = displayCredit(parseSignedCredit(fact.balanceAfter));
      return { to: email, data };
    },
    options,
  );
}
