import { describeMissing, newCustomerDetails } from '../domain/customer-details';
import { OrderIncomplete } from '../errors';
import { MetricNames } from '../metric-names';
import type { BuyerStore } from '../store/buyer-repository';
import type { PasswordStore } from '../store/password-repository';
import { customerName } from '../yay/customer-name';
import { ensureCustomer, storeCustomerInput } from '../yay/ensure-customer';
import { openPassword, sealPassword } from '../yay/password-box';
import { generateStorePassword } from '../yay/store-password';
import type { YayApi } from '../yay/types';
import type { CustomerRef, ExecutionInput } from './contract';
import type { Observability } from './ports';

export interface CreateCustomerDeps extends Observability {
  buyers: BuyerStore;
  yay: YayApi;
  /** The HMAC key that derives customer names (Secrets Manager, cached). Never logged. */
  namingKey: () => Promise<string>;
  /** The key that seals the store password for the welcome e-mail (Secrets Manager, cached). Never logged. */
  passwordKey: () => Promise<Buffer>;
  passwords: PasswordStore;
  /** The store front uuid a new customer of the order's store belongs to (its own, else `YAY_STORE_FRONT`). */
  storeFrontFor: (store: string) => string;
}

/**
 * "Create customer": a repeat buyer gets the customer already recorded (never a second account);
 * otherwise the customer named by HMAC(namingKey, buyerKey) is created or, after a lost answer or a
 * replay, adopted by name. Safe to run any number of times. An order that lacks what a new customer
 * needs throws {@link OrderIncomplete} naming the fields, before anything reaches Yay: the graph parks it
 * in `needs_attention` for a person (`ops complete`).
 */
export async function createCustomer(deps: CreateCustomerDeps, input: ExecutionInput): Promise<CustomerRef> {
  const { order } = input;
  if (!order.buyerKey) {
    throw new OrderIncomplete(
      'buyer.email is missing: the store sent neither a customer id nor an e-mail to identify the buyer',
      ['buyer.email'],
    );
  }
  const known = await deps.buyers.getCustomer(order.buyerKey);
  if (known) {
    deps.log.info('repeat buyer: reusing the recorded customer', {
      orderKey: order.orderKey,
      customerUuid: known.customerUuid,
    });
    const firstOrder = known.orderKey === order.orderKey;
    return { uuid: known.customerUuid, name: known.customerName, created: false, firstOrder };
  }
  const checked = newCustomerDetails(order);
  if (!checked.ok)
    throw new OrderIncomplete(describeMissing(checked.missing, checked.problems), checked.missing);
  const name = customerName(order.buyerKey, await deps.namingKey());
  const password = await keptPassword(deps, name);
  const body = storeCustomerInput({
    name,
    storeFront: deps.storeFrontFor(order.store),
    password,
    ...checked.details,
  });
  const { uuid, created } = await ensureCustomer(deps.yay, body);
  if (created) deps.metrics.addMetric(MetricNames.CustomersCreated, 'Count', 1);
  deps.log.info(created ? 'customer created' : 'customer adopted by name', {
    orderKey: order.orderKey,
    customerUuid: uuid,
  });
  // No buyer mapping yet: this order will record it (two concurrent first orders of one new buyer both say so).
  return { uuid, name, created, firstOrder: true };
}

/**
 * The customer's store password: kept sealed before the create is sent, so every retry of the create (a lost
 * answer, a crash) sends the same password, and the welcome e-mail tells the buyer the one Yay has.
 */
async function keptPassword(deps: CreateCustomerDeps, name: string): Promise<string> {
  const key = await deps.passwordKey();
  const sealed = await deps.passwords.keep(
    name,
    sealPassword(generateStorePassword(), key, name),
    deps.now(),
  );
  return openPassword(sealed, key, name);
}
