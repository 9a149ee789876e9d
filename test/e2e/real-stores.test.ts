import { describe, expect, it } from 'vitest';
import { sampleId, sendStripeEvent } from '../../local/samples';
import { runOps } from '../../ops/cli';
import type { Millis } from '../../shared/domain/credit';
import {
  type Json,
  Samples,
  sampleJson,
  shopifyHeaders,
  stripeEvent,
  Variants,
  wooHeaders,
} from '../fixtures/webhooks';
import { E2E_SECRETS, e2eEnv, useLocalMode } from './support';

/**
 * What real stores send and how real payments settle, end to end through local mode over HTTP: genuine orders
 * that lack what Yay needs wait for a person and resume once completed; a payment that settles after the window
 * is still credited; subscription renewals top up the customer the buyer already has. One runtime for the file,
 * with a catalog that also prices by Stripe price id; the payment window is capped at two seconds.
 */
describe('real stores, end to end', () => {
  const CATALOG = {
    'CREDIT-10': { GBP: '10.000' },
    'VOIP-10': { GBP: '10.000' },
    price_1Monthly: { GBP: '20.000' },
  };
  const local = useLocalMode('real', {
    maxWaitSeconds: 2,
    context: { 'provisioning:creditCatalog': CATALOG },
    resellerBalance: 1_000_000 as Millis,
  });

  const { sandbox } = local;
  const sendStripe = (event: Json) =>
    sendStripeEvent(local.runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
  const post = async (provider: string, body: string, headers: Record<string, string>) => {
    const answer = await fetch(`${local.runtime.url}/webhooks/${provider}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: answer.status, body: (await answer.json()) as { orderKey?: string } };
  };
  const ops = async (...args: string[]) => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: e2eEnv() };
    const code = await runOps([...args, '--data-dir', local.dataDir], io);
    return { code, text: lines.join('\n') };
  };
  const customersNamed = (name: string) => sandbox().state.customers.filter((c) => c.contact_name === name);
  const transfersTo = (uuid: string | undefined) =>
    sandbox().state.transfers.filter((t) => t.customerUuid === uuid);
  const executionsOf = (orderKey: string) =>
    local.runtime.workflow.list().filter((r) => r.orderKey === orderKey);

  /** A paid Checkout Session of a new buyer (the published session, as a configured store completes it). */
  const checkout = (name: string, edit?: (session: Json) => void) => {
    const session = Variants.paidSession((s) => {
      s.id = sampleId('cs');
      s.customer = sampleId('cus');
      s.payment_intent = sampleId('pi');
      s.customer_details.name = name;
      s.customer_details.email = `${s.customer}@example.com`;
      edit?.(s);
    });
    return { session, orderKey: `stripe:default:${session.id}` };
  };

  it("accepts a Stripe checkout made with Checkout's default settings, parks it naming the fields, and provisions it once completed", async () => {
    // Checkout collects only country and postcode unless the store asks for the full billing address.
    const { session, orderKey } = checkout('Ada Default', (s) => {
      s.customer_details.address = { country: 'GB', postal_code: 'EC1A 1BB' };
      s.collected_information = null;
    });
    const event = stripeEvent('checkout.session.completed', session, { id: sampleId('evt') });

    const first = await sendStripe(event);
    const parked = await local.runtime.waitForOrder(orderKey);
    const again = await sendStripe(event);
    await local.runtime.idle();
    const completed = await ops(
      'complete',
      orderKey,
      '--street',
      '1 Example Street',
      '--city',
      'London',
      '--reason',
      'buyer phoned in the address',
    );
    // A redelivery while the completed order runs: it must not start anything of its own.
    const during = await sendStripe(event);
    const done = await local.runtime.waitForOrder(orderKey);
    const twice = await ops('complete', orderKey, '--street', '2 Other Street');

    expect([first.status, again.status, during.status]).toEqual([202, 202, 202]);
    expect(parked).toMatchObject({
      state: 'needs_attention',
      attention: {
        reason: 'missing_details',
        fields: ['address.street_one', 'address.city'],
        action: expect.stringContaining('complete'),
      },
    });
    expect(completed).toEqual({ code: 0, text: expect.stringContaining(`completed ${orderKey}`) });
    expect(done).toMatchObject({
      state: 'fulfilled',
      transfer: { status: 'APPLIED', amount: 10_000 },
      actions: [expect.objectContaining({ action: 'complete', reason: 'buyer phoned in the address' })],
    });
    expect(done.attention).toBeUndefined();
    const [customer, ...others] = customersNamed('Ada Default');
    expect(others).toEqual([]);
    expect(customer?.addresses).toEqual([
      expect.objectContaining({
        street_one: '1 Example Street',
        city: 'London',
        zip: 'EC1A 1BB',
        country_code: 'GB',
      }),
    ]);
    expect(transfersTo(customer?.uuid)).toHaveLength(1);
    expect(executionsOf(orderKey)).toHaveLength(2);
    expect(twice.code).toBe(1);
    expect(twice.text).toMatch(/is fulfilled, not waiting for details/);
  });

  it('parks a Shopify order with no e-mail anywhere and lists it with the one command that resolves it', async () => {
    const body = Variants.shopifyOrder(Samples.shopify.ordersPaid, {
      orderId: '820982911946157001',
      sku: { from: 'SKU2006-001', to: 'CREDIT-10' },
      currency: 'GBP',
    })
      .replaceAll('"email": "jon@example.com"', '"email": null')
      .replaceAll('"contact_email": "jon@example.com"', '"contact_email": null')
      .replaceAll('"email": "john@example.com"', '"email": null')
      .replaceAll('115310627314723954', '115310627314729999');

    const answer = await post(
      'shopify',
      body,
      shopifyHeaders(body, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET),
    );
    const orderKey = answer.body.orderKey as string;
    const parked = await local.runtime.waitForOrder(orderKey);
    const listed = await ops('attention');

    expect(answer.status).toBe(202);
    expect(orderKey).toBe('shopify:example-shop.myshopify.com:820982911946157001');
    expect(parked.attention).toMatchObject({ reason: 'missing_details', fields: ['buyer.email'] });
    expect(listed.text).toContain(orderKey);
    expect(listed.text).toContain(`npm run ops -- complete '${orderKey}' --email …`);
  });

  it('credits a payment that settles after the window closed, exactly once, with nobody involved', async () => {
    const { session, orderKey } = checkout('Sepa Late', (s) => {
      s.payment_status = 'unpaid';
    });
    const placed = stripeEvent('checkout.session.completed', session, { id: sampleId('evt') });
    const succeeded = stripeEvent('checkout.session.async_payment_succeeded', session, {
      id: sampleId('evt'),
    });

    await sendStripe(placed);
    const expired = await local.runtime.waitForOrder(orderKey);
    // The bank settles days later; Stripe delivers the confirmation (and, as it does, more than once).
    const answers = await Promise.all([sendStripe(succeeded), sendStripe(succeeded)]);
    await local.runtime.idle();
    const credited = await local.runtime.waitForOrder(orderKey);
    const repeated = await sendStripe(succeeded);
    await local.runtime.idle();

    expect(expired).toMatchObject({ state: 'expired', payment: 'unpaid' });
    expect(answers.map((a) => a.status)).toEqual([202, 202]);
    expect(repeated.status).toBe(202);
    expect(credited).toMatchObject({ state: 'fulfilled', payment: 'paid', replays: 1 });
    const [customer] = customersNamed('Sepa Late');
    expect(transfersTo(customer?.uuid)).toHaveLength(1);
    expect(executionsOf(orderKey).map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await local.runtime.store.listAttention()).not.toContainEqual(
      expect.objectContaining({ orderKey }),
    );
  });

  it('tops up the same Yay customer for each Stripe subscription invoice, priced by the price id', async () => {
    const customerId = sampleId('cus');
    const invoice = (billingReason: string) =>
      Variants.paidRenewalInvoice((i) => {
        i.id = sampleId('in');
        i.customer = customerId;
        i.customer_name = 'Monthly Bundle';
        i.customer_email = `${customerId}@example.com`;
        i.currency = 'gbp';
        i.billing_reason = billingReason;
        i.customer_address = {
          line1: '3 Renewal Road',
          city: 'Leeds',
          postal_code: 'LS1 1AA',
          country: 'GB',
        };
        i.lines.data[0].pricing.price_details.price = 'price_1Monthly';
      });
    const first = invoice('subscription_create');
    const renewal = invoice('subscription_cycle');

    await sendStripe(stripeEvent('invoice.paid', first, { id: sampleId('evt') }));
    const one = await local.runtime.waitForOrder(`stripe:default:${first.id}`);
    await sendStripe(stripeEvent('invoice.paid', renewal, { id: sampleId('evt') }));
    const two = await local.runtime.waitForOrder(`stripe:default:${renewal.id}`);

    expect([one.state, two.state]).toEqual(['fulfilled', 'fulfilled']);
    const customers = customersNamed('Monthly Bundle');
    expect(customers).toHaveLength(1);
    expect(transfersTo(customers[0]?.uuid).map((t) => t.amount)).toEqual([20_000, 20_000]);
    expect(two.customerUuid).toBe(one.customerUuid);
  });

  it('tops up the same Yay customer for a WooCommerce Subscriptions renewal and a Shopify repeat order', async () => {
    const [parent] = sampleJson<Json[]>(Samples.woocommerce.subscriptionOrders);
    (parent as Json).currency = 'GBP';
    (parent as Json).line_items[0].sku = 'VOIP-10';
    const renewal = Variants.paidWooRenewal('VOIP-10', 'GBP');
    const woo = (order: Json) => {
      const body = JSON.stringify(order);
      return post(
        'woocommerce',
        body,
        wooHeaders(body, 'order.created', E2E_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET),
      );
    };
    const shopify = (orderId: string) => {
      const body = Variants.shopifyOrder(Samples.shopify.ordersPaid, {
        orderId,
        sku: { from: 'SKU2006-001', to: 'CREDIT-10' },
        currency: 'GBP',
      });
      return post('shopify', body, shopifyHeaders(body, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET));
    };

    const keys: string[] = [];
    for (const send of [
      () => woo(parent as Json),
      () => woo(renewal),
      () => shopify('820982911946158001'),
      () => shopify('820982911946158002'),
    ]) {
      const answer = await send();
      keys.push(answer.body.orderKey as string);
      await local.runtime.waitForOrder(answer.body.orderKey as string);
    }
    const orders = await Promise.all(keys.map((key) => local.runtime.store.getOrder(key)));

    expect(orders.map((o) => o?.state)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    // WooCommerce customer 1 (James Allan) and Shopify customer 115310627314723954 (billed as Steve Shipper).
    expect(orders[1]?.customerUuid).toBe(orders[0]?.customerUuid);
    expect(orders[3]?.customerUuid).toBe(orders[2]?.customerUuid);
    expect(customersNamed('James Allan')).toHaveLength(1);
    expect(transfersTo(orders[0]?.customerUuid)).toHaveLength(2);
    expect(transfersTo(orders[2]?.customerUuid)).toHaveLength(2);
  });

  // Last, over everything above: local mode enforces the template's IAM grants, and a green flow needs no more.
  it("made no call a function's role does not allow", () => {
    expect(local.runtime.iam.denials).toEqual([]);
  });
});
