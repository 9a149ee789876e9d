import { formatCredit } from '../../domain/credit';
import type { OrderRecord } from '../../store/order-repository';
import { EmailRefused } from '../mailer';
import type { NotifyDeps } from './send-once';

/** Thousandths as a buyer reads them: £10.00, or £0.125 when there is a fraction of a penny. */
export function displayCredit(millis: number): string {
  const text = formatCredit(Math.abs(millis));
  const shown = text.endsWith('0') ? text.slice(0, -1) : text;
  return `${millis < 0 ? '-' : ''}£${shown}`;
}

/** The order an e-mail is about, with the buyer's address; EmailRefused when it cannot be addressed. */
export async function addressedOrder(deps: NotifyDeps, orderKey: string) {
  const order = await deps.orders.get(orderKey);
  if (!order?.event) throw new EmailRefused(`order ${orderKey} is not recorded with its event`);
  const email = order.event.buyer?.email?.trim();
  if (!email) throw new EmailRefused(`order ${orderKey} has no buyer.email to write to`);
  return { order: order as OrderRecord & { event: NonNullable<OrderRecord['event']> }, email };
}

/** The greeting variables every template takes. */
export function buyerData(order: OrderRecord & { event: NonNullable<OrderRecord['event']> }) {
  const buyer = order.event.buyer ?? {};
  return {
    firstName: buyer.firstName?.trim() || buyer.name?.trim() || 'there',
    lastName: buyer.lastName?.trim() ?? '',
    name: buyer.name?.trim() || [buyer.firstName, buyer.lastName].filter(Boolean).join(' '),
    orderId: order.event.orderId,
  };
}

/**
 * Whether the welcome names the order's credit: only when the order was paid by the time its customer was
 * recorded (the credit moves right after). An order paid later gets a receipt when its credit moves instead.
 */
export function welcomeShowsCredit(order: OrderRecord, customerRecordedAt: string | undefined): boolean {
  return (
    order.paidAt !== undefined &&
    customerRecordedAt !== undefined &&
    order.paidAt <= customerRecordedAt &&
    (order.event?.credit.amount ?? 0) > 0
  );
}
