import { OrderInvalid } from '../errors';
import { MetricNames } from '../observability';
import type { BuyerStore } from '../store/types';
import { customerName } from '../yay/customer-name';
import { ensureCustomer, storeCustomerInput } from '../yay/ensure-customer';
import type { YayApi } from '../yay/types';
import type { CustomerRef, ExecutionInput } from './contract';
import type { Observability } from './ports';

export interface CreateCustomerDeps extends Observability {
  buyers: BuyerStore;
  yay: YayApi;
  /** The HMAC key that derives customer names (Secrets Manager, cached). Never logged. */
  namingKey: () => Promise<string>;
  /** The store front uuid a new customer of the order's store belongs to (its own, else `YAY_STORE_FRONT`). */
  storeFrontFor: (store: string) => string;
}

/**
 * "Create customer": a repeat buyer gets the customer already recorded (never a second account);
 * otherwise the customer named by HMAC(namingKey, buyerKey) is created or, after a lost answer or a
 * replay, adopted by name. Safe to run any number of times.
 */
export async function createCustomer(deps: CreateCustomerDeps, input: ExecutionInput): Promise<CustomerRef> {
  const { order } = input;
  const known = await deps.buyers.getCustomer(order.buyerKey);
  if (known) {
    deps.log.info('repeat buyer: reusing the recorded customer', { customerUuid: known.customerUuid });
    return { uuid: known.customerUuid, name: known.customerName, created: false };
  }
  if (!order.address) {
    throw new OrderInvalid('order.address is missing: a new store customer needs one address');
  }
  const name = customerName(order.buyerKey, await deps.namingKey());
  const body = storeCustomerInput({
    name,
    storeFront: deps.storeFrontFor(order.store),
    buyer: order.buyer,
    address: order.address,
  });
  const { uuid, created } = await ensureCustomer(deps.yay, body);
  if (created) deps.metrics.addMetric(MetricNames.CustomersCreated, 'Count', 1);
  deps.log.info(created ? 'customer created' : 'customer adopted by name', { customerUuid: uuid });
  return { uuid, name, created };
}
