import type { CustomerCreated } from '../../domain/outbound-events';
import { OrderInvalid } from '../../errors';
import { EmailKeys } from '../../store/email-repository';
import { openPassword } from '../../yay/password-box';
import { EmailRefused } from '../mailer';
import { addressedOrder, buyerData, displayCredit, welcomeShowsCredit } from './message';
import { type EmailAttempt, type EmailOutcome, type NotifyDeps, sendOnce } from './send-once';

/** The welcome of a customer's first order: the store's sign-in address, the login name and the password. */
export async function sendWelcome(
  deps: NotifyDeps,
  fact: Pick<CustomerCreated, 'orderKey' | 'customerName' | 'occurredAt'>,
  options: { staleBefore?: Date; resend?: boolean; requestId?: string } = {},
): Promise<EmailOutcome> {
  const spec: EmailAttempt = {
    type: 'welcome',
    key: EmailKeys.welcome(fact.customerName),
    orderKey: fact.orderKey,
    customerName: fact.customerName,
  };
  return sendOnce(
    deps,
    spec,
    async () => {
      const { order, email } = await addressedOrder(deps, fact.orderKey);
      const sealed = await deps.passwords.get(fact.customerName);
      if (!sealed) throw new EmailRefused(`no store password is kept for customer ${fact.customerName}`);
      const key = await deps.passwordKey();
      let password: string;
      try {
        password = openPassword(sealed, key, fact.customerName);
      } catch (error) {
        // The key was rotated, or the record is not this customer's: no retry opens it.
        throw new EmailRefused((error as Error).message);
      }
      const amount = order.event.credit.amount;
      const data: Record<string, string> = {
        ...buyerData(order),
        loginUrl: deps.loginUrlFor(order.event.store),
        loginName: fact.customerName,
        password,
      };
      if (amount && welcomeShowsCredit(order, fact.occurredAt)) data.credit = displayCredit(amount);
      return { to: email, data };
    },
    options,
  );
}

/** When the order's buyer was recorded against its customer (the welcome's "occurredAt"). */
export async function customerRecordedAt(deps: NotifyDeps, orderKey: string): Promise<string> {
  const order = await deps.orders.get(orderKey);
  const mapping = order?.buyerKey ? await deps.buyers.getCustomer(order.buyerKey) : undefined;
  return mapping?.createdAt ?? '';
}

/**
 * `npm run ops -- resend-welcome <order>`: the welcome of the order's customer again (the same login and password),
 * whatever became of the first one. `requestId` makes a request delivered twice send once. Recorded on the order.
 */
export async function resendWelcome(
  deps: NotifyDeps,
  orderKey: string,
  reason: string,
  requestId: string,
): Promise<EmailOutcome> {
  const order = await deps.orders.get(orderKey);
  if (!order) throw new OrderInvalid(`order ${orderKey} is not recorded`);
  if (!order.customerName)
    throw new OrderInvalid(`order ${orderKey} has no Yay customer yet: nothing to welcome`);
  const welcome = await deps.emails.get(EmailKeys.welcome(order.customerName));
  const outcome = await sendWelcome(
    deps,
    {
      // The welcome's order: the one that created the customer (its credit line), else this one.
      orderKey: welcome?.orderKey ?? orderKey,
      customerName: order.customerName,
      occurredAt: await customerRecordedAt(deps, welcome?.orderKey ?? orderKey),
    },
    { resend: true, requestId, staleBefore: deps.now() },
  );
  if (outcome.result === 'sent' || outcome.result === 'failed') {
    await deps.orders.recordAction(orderKey, {
      action: 'resend-welcome',
      at: deps.now().toISOString(),
      reason,
      detail: outcome.result === 'sent' ? 'welcome sent again' : `welcome not sent: ${outcome.detail ?? ''}`,
    });
  }
  return outcome;
}
