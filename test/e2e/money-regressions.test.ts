import { randomInt } from 'node:crypto';
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
  stripeObject,
  Variants,
  wooHeaders,
} from '../fixtures/webhooks';
import { E2E_SECRETS, e2eEnv, eventually, useLocalMode } from './support';

/**
 * The money sequences found short-changing buyers or crediting refunds with nobody told (issue 16), each end to end
 * through local mode with signed webhooks built from the providers' published samples, and named for what the buyer
 * suffered. Each fails on the code before money facts: run this file against it to see.
 */
describe('money regressions, end to end', () => {
  const CATALOG = { 'VOIP-10': { GBP: '10.000' }, 'SKU2006-001': { USD: '8.000' } };
  const local = useLocalMode('money', {
    maxWaitSeconds: 2,
    context: { 'provisioning:creditCatalog': CATALOG },
    resellerBalance: 1_000_000 as Millis,
  });

  const { sandbox } = local;
  const sendStripe = async (event: Json) => {
    const answer = await sendStripeEvent(local.runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
    expect(answer.status).toBe(202);
  };
  const post = async (provider: string, body: string, headers: Record<string, string>) => {
    const answer = await fetch(`${local.runtime.url}/webhooks/${provider}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    expect(answer.status).toBe(202);
  };
  /** Credit Yay moved to the customer of an order (the sandbox's ledger: Yay's truth, not our table). */
  const creditMovedFor = async (orderKey: string) => {
    const order = await local.runtime.store.getOrder(orderKey);
    return sandbox()
      .state.transfers.filter((transfer) => transfer.customerUuid === order?.customerUuid)
      .reduce((sum, transfer) => sum + transfer.amount, 0);
  };

  /** A Checkout Session of a new buyer, £10.00 for 10.000 credit, settling later (Bacs, SEPA). */
  const session = (edit?: (s: Json) => void) =>
    Variants.paidSession((s) => {
      s.id = sampleId('cs');
      s.customer = sampleId('cus');
      s.payment_intent = sampleId('pi');
      s.customer_details.email = `${s.customer}@example.com`;
      s.payment_status = 'unpaid';
      edit?.(s);
    });
  /** The published partial refund's charge (pay-rails), as a refund of `amount` of that session's £10.00. */
  const refundOf = (s: Json, amount: number, byMetadata: boolean) =>
    stripeEvent(
      'charge.refunded',
      {
        ...stripeObject(Samples.stripe.chargeRefunded),
        id: sampleId('ch'),
        currency: 'gbp',
        amount: 1000,
        amount_refunded: amount,
        refunded: amount === 1000,
        payment_intent: s.payment_intent,
        metadata: byMetadata ? { checkout_session_id: s.id } : {},
      },
      { id: sampleId('evt') },
    );

  it('a buyer refunded £1 of £10 in WooCommerce before the credit moved still gets the 9.000 they paid for', async () => {
    // The published wc/v3 order 727 as one £10.00 line of VOIP-10 and nothing else, first on hold, then processing
    // with a £1.00 refund (WooCommerce has no refund topic: the refund rides on the order's update).
    const order = sampleJson(Samples.woocommerce.order);
    Object.assign(order, {
      id: randomInt(100_000, 999_999_999),
      currency: 'GBP',
      total: '10.00',
      shipping_total: '0.00',
      shipping_lines: [],
      customer_id: 0,
      status: 'on-hold',
    });
    order.billing.email = `${sampleId('woo')}@example.com`;
    order.line_items = [{ ...order.line_items[1], sku: 'VOIP-10', quantity: 1, total: '10.00' }];
    const orderKey = `woocommerce:shop.example.org:${order.id}`;
    const created = JSON.stringify(order);
    await post(
      'woocommerce',
      created,
      wooHeaders(created, 'order.created', E2E_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET),
    );
    await local.runtime.waitForOrder(orderKey, 30_000, 'awaiting_payment');
    const updated = JSON.stringify({
      ...order,
      status: 'processing',
      date_modified_gmt: '2017-03-22T19:30:00',
      refunds: [{ id: 9001, refund: '', total: '-1.00' }],
    });
    await post(
      'woocommerce',
      updated,
      wooHeaders(updated, 'order.updated', E2E_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET),
    );

    const done = await local.runtime.waitForOrder(orderKey);

    expect(done.state).toBe('fulfilled');
    expect(await creditMovedFor(orderKey)).toBe(9_000);
  });

  it('a Stripe buyer refunded part of a single-credit payment before the credit moved gets the rest, in proportion', async () => {
    const s = session();
    const orderKey = `stripe:default:${s.id}`;
    await sendStripe(stripeEvent('checkout.session.completed', s, { id: sampleId('evt') }));
    await local.runtime.waitForOrder(orderKey, 30_000, 'awaiting_payment');
    await sendStripe(refundOf(s, 250, true));
    await sendStripe(
      stripeEvent(
        'checkout.session.async_payment_succeeded',
        { ...s, payment_status: 'paid' },
        { id: sampleId('evt') },
      ),
    );

    const done = await local.runtime.waitForOrder(orderKey);

    expect(done.state).toBe('fulfilled');
    expect(await creditMovedFor(orderKey)).toBe(7_500);
  });

  it('a Shopify buyer refunded only the shipping before the credit moved keeps all of the credit', async () => {
    // The published order (one credit line, SKU2006-001, among others, £10.00 shipping) as a pending order of its
    // own, then the published refund with its lines taken out, its shipping refunded instead and its transactions'
    // currency named (the sample's is null), then paid.
    const orderId = String(randomInt(100_000_000, 999_999_999_999));
    const created = Variants.shopifyOrder(Samples.shopify.ordersCreate, { orderId }).replace(
      '"financial_status": "voided"',
      '"financial_status": "pending"',
    );
    const orderKey = `shopify:example-shop.myshopify.com:${orderId}`;
    await post(
      'shopify',
      created,
      shopifyHeaders(created, 'orders/create', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET),
    );
    await local.runtime.waitForOrder(orderKey, 30_000, 'awaiting_payment');
    const shipping =
      '{"id": 1, "shipping_line_id": 271878346596884015, "subtotal_amount_set": {"shop_money": {"amount": "10.00", ' +
      '"currency_code": "USD"}, "presentment_money": {"amount": "10.00", "currency_code": "USD"}}}';
    const refund = Variants.shopifyOrder(Samples.shopify.refundsCreate, { orderId })
      .replace(
        /"refund_line_items": \[[\s\S]*?\n {2}\],\n {2}"transactions"/,
        '"refund_line_items": [],\n  "transactions"',
      )
      .replace('"refund_shipping_lines": []', `"refund_shipping_lines": [${shipping}]`)
      .replaceAll('"currency": null', '"currency": "USD"');
    expect(refund).toContain('"refund_line_items": [],');
    await post(
      'shopify',
      refund,
      shopifyHeaders(refund, 'refunds/create', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET),
    );
    const paid = created.replace('"financial_status": "pending"', '"financial_status": "paid"');
    await post('shopify', paid, shopifyHeaders(paid, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET));

    const done = await local.runtime.waitForOrder(orderKey);

    expect(done.state).toBe('fulfilled');
    expect(await creditMovedFor(orderKey)).toBe(8_000);
  });

  it('a Stripe refund that arrives before its checkout session is not lost: the order refunded in full gets no credit', async () => {
    const s = session((x) => {
      x.payment_status = 'paid';
    });
    const orderKey = `stripe:default:${s.id}`;
    // The charge names only its PaymentIntent: no store metadata ties it to the session.
    await sendStripe(refundOf(s, 1000, false));
    await local.runtime.idle();
    await sendStripe(stripeEvent('checkout.session.completed', s, { id: sampleId('evt') }));

    const done = await local.runtime.waitForOrder(orderKey);

    expect(done.state).toBe('refunded');
    expect(await creditMovedFor(orderKey)).toBe(0);
  });

  it('a buyer whose order met a tight reseller balance is credited after the top-up, with nobody asked', async () => {
    // Balance 15.000, two buyers pay £10 at once: both pass the balance check, Yay refuses the second.
    sandbox().setResellerBalance(15_000 as Millis);
    const first = session((x) => {
      x.payment_status = 'paid';
    });
    const second = session((x) => {
      x.payment_status = 'paid';
    });
    sandbox().setFaults({ holdNext: 'transfer' });
    await sendStripe(stripeEvent('checkout.session.completed', first, { id: sampleId('evt') }));
    await eventually('the first transfer to be held at Yay', () => (sandbox().held > 0 ? true : undefined));
    await sendStripe(stripeEvent('checkout.session.completed', second, { id: sampleId('evt') }));
    await local.runtime.waitForOrder(`stripe:default:${second.id}`, 30_000, 'fulfilled');
    sandbox().release();
    sandbox().setFaults({});
    await eventually('the refused transfer to wait for a top-up', async () =>
      (await local.runtime.store.getOrder(`stripe:default:${first.id}`))?.transfer?.reason?.includes(
        'Yay refused it',
      )
        ? true
        : undefined,
    );
    sandbox().setResellerBalance(1_000_000 as Millis);

    const done = await local.runtime.waitForOrder(`stripe:default:${first.id}`);

    expect(done.state).toBe('fulfilled');
    expect(done.attention).toBeUndefined();
    expect(await creditMovedFor(`stripe:default:${first.id}`)).toBe(10_000);
  });

  /**
   * Runs the command an order's attention names, as a person would copy it: the first `npm run ops -- …` of the
   * action, its placeholders filled (`--credit <…>` with `credit`, `--reason …` with a reason).
   */
  const runAttentionCommand = async (orderKey: string, credit?: string) => {
    const order = await local.runtime.store.getOrder(orderKey);
    const action = order?.attention?.action ?? '';
    const command = /npm run ops -- (\S+) '((?:[^']|'\\'')*)'([^,]*)/.exec(action);
    if (!command) throw new Error(`no ops command in "${action}"`);
    const [, verb, key, rest] = command as unknown as [string, string, string, string];
    const args = [verb, key.replaceAll("'\\''", "'")];
    if (/--credit/.test(rest)) args.push('--credit', credit ?? '');
    if (/--reason/.test(rest) || verb === 'close') args.push('--reason', 'e2e: what the attention asked');
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l), env: e2eEnv() };
    const code = await runOps([...args, '--data-dir', local.dataDir], io);
    return { code, text: lines.join('\n'), action };
  };

  it('runs the command each money attention names on its order: a partial refund of several lines, decided by a person', async () => {
    // The published Shopify order (five lines, shipping), paid, then £10.00 back with no line named: only a person
    // can say what credit that takes back.
    const orderId = String(randomInt(100_000_000, 999_999_999_999));
    // A buyer of its own (the published customer id replaced), so its customer is created here, where it is held.
    const paid = Variants.shopifyOrder(Samples.shopify.ordersPaid, { orderId })
      .replace('"financial_status": "voided"', '"financial_status": "paid"')
      .replaceAll('115310627314723954', String(randomInt(100_000_000, 999_999_999_999)));
    const orderKey = `shopify:example-shop.myshopify.com:${orderId}`;
    const refund = Variants.shopifyOrder(Samples.shopify.refundsCreate, { orderId })
      .replace(
        /"refund_line_items": \[[\s\S]*?\n {2}\],\n {2}"transactions"/,
        '"refund_line_items": [],\n  "transactions"',
      )
      .replaceAll('"currency": null', '"currency": "USD"');
    sandbox().setFaults({ holdNext: 'create' });
    await post('shopify', paid, shopifyHeaders(paid, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET));
    await eventually('the create to be held at Yay', () => (sandbox().held > 0 ? true : undefined));
    await post(
      'shopify',
      refund,
      shopifyHeaders(refund, 'refunds/create', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET),
    );
    await local.runtime.idle(5_000).catch(() => {});
    sandbox().release();
    sandbox().setFaults({});
    const parked = await local.runtime.waitForOrder(orderKey);
    expect(parked.attention?.reason).toBe('credit_undecided');
    expect(parked.attention?.message).toContain('refund 890088186047892319 85.00 USD (money only)');

    const { code, text } = await runAttentionCommand(orderKey, '4.000');

    expect([code, text]).toEqual([0, expect.stringContaining('resumed as')]);
    const done = await local.runtime.waitForOrder(orderKey);
    expect(done.state).toBe('fulfilled');
    expect(await creditMovedFor(orderKey)).toBe(4_000);
  });

  it('runs the command each money attention names on its order: a dispute before credit, then a refund after credit', async () => {
    const disputed = session((x) => {
      x.payment_status = 'paid';
    });
    const orderKey = `stripe:default:${disputed.id}`;
    sandbox().setFaults({ holdNext: 'create' });
    await sendStripe(stripeEvent('checkout.session.completed', disputed, { id: sampleId('evt') }));
    await eventually('the create to be held at Yay', () => (sandbox().held > 0 ? true : undefined));
    // The published dispute (a whole event) on this session's PaymentIntent.
    const dispute = sampleJson(Samples.stripe.disputeCreated);
    Object.assign(dispute.data.object, {
      payment_intent: disputed.payment_intent,
      currency: 'gbp',
      amount: 1000,
    });
    await sendStripe({ ...dispute, id: sampleId('evt'), created: Math.floor(Date.now() / 1000) });
    sandbox().release();
    sandbox().setFaults({});
    expect((await local.runtime.waitForOrder(orderKey)).attention?.reason).toBe('disputed');

    // The dispute settled in the reseller's favour: the person decides the whole credit is owed.
    expect((await runAttentionCommand(orderKey, '10.000')).code).toBe(0);
    expect((await local.runtime.waitForOrder(orderKey)).state).toBe('fulfilled');
    expect(await creditMovedFor(orderKey)).toBe(10_000);

    // Then the store refunds it: Yay cannot take credit back, a person settles it and closes it.
    await sendStripe(refundOf(disputed, 1000, true));
    await local.runtime.idle();
    const flagged = await local.runtime.store.getOrder(orderKey);
    expect(flagged?.attention).toMatchObject({ reason: 'refund_after_credit' });
    expect((await runAttentionCommand(orderKey)).code).toBe(0);
    const closed = await local.runtime.store.getOrder(orderKey);
    expect(closed?.state).toBe('fulfilled');
    expect(closed?.attention).toBeUndefined();
  });
});
