import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  httpApiEvent,
  type Json,
  lambdaContext,
  published,
  ROTATED_SECRETS,
  Samples,
  SESSION_ID,
  SHOP_DOMAIN,
  sampleJson,
  shopifyHeaders,
  stripeBody,
  stripeEvent as stripeEventOf,
  stripeHeaders,
  stripeObject,
  TEST_SECRETS,
  Variants,
  wooHeaders,
} from '../../fixtures/webhooks';

// The handler reads its configuration at import, as in Lambda; set it before the import is evaluated.
vi.hoisted(() => {
  process.env.EVENT_BUS_NAME = 'provisioning-test';
  process.env.WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:webhook-test';
  // The test catalog (fixtures' TEST_CATALOG), written out: vi.hoisted runs before imports.
  process.env.CREDIT_CATALOG = JSON.stringify({
    'VOIP-10': { GBP: '10.000', EUR: '9.500' },
    'SKU2006-001': { USD: '8.000' },
    Bar3: { USD: '3.000' },
    price_1234: { USD: '20.000' },
  });
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'YayProvisioningTest';
});

const eventBridge = mockClient(EventBridgeClient);
const secretsManager = mockClient(SecretsManagerClient);
const { handler } = await import('../../../functions/webhook-intake/handler');

const NOW = 1_767_225_600;
const secretValue = JSON.stringify({
  stripe: [TEST_SECRETS.stripe[0], ROTATED_SECRETS.stripe],
  shopify: [...TEST_SECRETS.shopify],
  woocommerce: [...TEST_SECRETS.woocommerce],
});

async function http(event: APIGatewayProxyEventV2) {
  const result = (await handler(event, lambdaContext)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(String(result.body)) as Record<string, unknown> };
}

function putEntries() {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

function stripeEvent(body: string, t = NOW, secrets: readonly string[] = TEST_SECRETS.stripe) {
  return httpApiEvent('stripe', body, { headers: stripeHeaders(body, t, secrets) });
}

describe('webhook-intake handler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW * 1000);
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-bus-1' }] });
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: secretValue });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 202 and publishes exactly the normalized event when a Stripe checkout is paid', async () => {
    const body = stripeBody(Variants.paidSessionEvent());

    const response = await http(stripeEvent(body));

    expect(response).toEqual({
      status: 202,
      body: { accepted: 'paid', orderKey: `stripe:default:${SESSION_ID}` },
    });
    const entries = putEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'provisioning-test',
      Source: 'yay.provisioning',
      DetailType: 'Order Paid',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({
      kind: 'paid',
      orderKey: `stripe:default:${SESSION_ID}`,
      buyer: { email: 'ada.lovelace@example.com' },
      credit: { amount: 10000, currency: 'GBP' },
      sourceEventId: 'evt_1QfixtureCompletedPaid',
    });
  });

  const [parentOrder, renewalOrder] = sampleJson<Json[]>(Samples.woocommerce.subscriptionOrders);
  it.each([
    [
      'stripe',
      'the published session',
      () => stripeBody(stripeEventOf('checkout.session.completed', stripeObject(Samples.stripe.session))),
      '',
      'Order Placed',
    ],
    [
      'stripe',
      'async_payment_succeeded',
      () => stripeBody(stripeEventOf('checkout.session.async_payment_succeeded', Variants.paidSession())),
      '',
      'Payment Confirmed',
    ],
    [
      'stripe',
      'async_payment_failed',
      () => stripeBody(stripeEventOf('checkout.session.async_payment_failed', Variants.paidSession())),
      '',
      'Payment Failed',
    ],
    [
      'stripe',
      'the published charge refunded',
      () => stripeBody(stripeEventOf('charge.refunded', stripeObject(Samples.stripe.charge))),
      '',
      'Order Refunded',
    ],
    [
      'stripe',
      'a captured renewal invoice paid',
      () => stripeBody(stripeEventOf('invoice.paid', Variants.paidRenewalInvoice())),
      '',
      'Order Paid',
    ],
    [
      'shopify',
      'the published orders/create',
      () => published(Samples.shopify.ordersCreate),
      'orders/create',
      'Order Placed',
    ],
    [
      'shopify',
      'the real test notification',
      () => published(Samples.shopify.testNotification),
      'orders/create',
      'Order Placed',
    ],
    [
      'shopify',
      'the published orders/paid',
      () => published(Samples.shopify.ordersPaid),
      'orders/paid',
      'Order Paid',
    ],
    [
      'shopify',
      'the published refunds/create',
      () => published(Samples.shopify.refundsCreate),
      'refunds/create',
      'Order Refunded',
    ],
    [
      'woocommerce',
      'the published wc/v3 order',
      () => published(Samples.woocommerce.order),
      'order.created',
      'Order Paid',
    ],
    [
      'woocommerce',
      'the published completed order',
      () => published(Samples.woocommerce.orderCompleted),
      'order.updated',
      'Order Paid',
    ],
    [
      'woocommerce',
      'the published subscription parent',
      () => JSON.stringify(parentOrder),
      'order.created',
      'Order Paid',
    ],
    [
      'woocommerce',
      'the published pending renewal',
      () => JSON.stringify(renewalOrder),
      'order.created',
      'Order Placed',
    ],
  ])('publishes one %s event for %s → %s', async (provider, _what, make, topic, detailType) => {
    const body = make();
    const headers =
      provider === 'stripe'
        ? stripeHeaders(body, NOW)
        : provider === 'shopify'
          ? shopifyHeaders(body, topic)
          : wooHeaders(body, topic);

    const response = await http(httpApiEvent(provider, body, { headers }));

    expect(response.status).toBe(202);
    expect(putEntries().map((entry) => entry.DetailType)).toEqual([detailType]);
  });

  it('verifies the signature over the decoded bytes when API Gateway hands the body base64-encoded', async () => {
    // Latin-1 bytes are not valid UTF-8: only the raw bytes, not a re-encoded string, carry the right MAC.
    const [before, after] = published(Samples.shopify.ordersPaid).split('"#9999"');
    const raw = Buffer.concat([
      Buffer.from(`${before}"#9999 `, 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from(`"${after}`, 'utf8'),
    ]);
    expect(Buffer.from(raw.toString('utf8'), 'utf8').equals(raw)).toBe(false);
    const event = httpApiEvent('shopify', raw.toString('base64'), {
      headers: shopifyHeaders(raw, 'orders/paid'),
      isBase64Encoded: true,
    });

    expect((await http(event)).status).toBe(202);
    expect(putEntries()).toHaveLength(1);
  });

  it('accepts a Stripe signature made with the rotated-in secret while both are active', async () => {
    const body = stripeBody(Variants.paidSessionEvent());

    expect((await http(stripeEvent(body, NOW, [ROTATED_SECRETS.stripe]))).status).toBe(202);
  });

  describe('rejects without publishing', () => {
    const body = stripeBody(Variants.paidSessionEvent());

    it.each([
      [
        'a forged signature',
        () =>
          httpApiEvent('stripe', body, { headers: { 'stripe-signature': `t=${NOW},v1=${'0'.repeat(64)}` } }),
      ],
      ['a tampered body', () => ({ ...stripeEvent(body), body: body.replace('10.000', '90.000') })],
      ['a stale timestamp', () => stripeEvent(body, NOW - 301)],
      [
        'a replayed header with a changed body',
        () => ({
          ...stripeEvent(body),
          body: stripeBody(stripeEventOf('checkout.session.completed', stripeObject(Samples.stripe.session))),
        }),
      ],
      ['a wrong secret', () => stripeEvent(body, NOW, ['whsec_wrong-test-only-not-a-secret'])],
      ['a missing signature header', () => httpApiEvent('stripe', body)],
      [
        'a Shopify body signed with the WooCommerce secret',
        () =>
          httpApiEvent('shopify', published(Samples.shopify.ordersPaid), {
            headers: shopifyHeaders(
              published(Samples.shopify.ordersPaid),
              'orders/paid',
              TEST_SECRETS.woocommerce[0],
            ),
          }),
      ],
    ])('401 for %s', async (_name, make) => {
      const response = await http(make());

      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_signature');
      expect(String(response.body.message)).toMatch(/^(stripe-signature|x-shopify-hmac-sha256):/);
      expect(putEntries()).toEqual([]);
    });

    it.each([
      ['an empty body', '', 'empty_body', /^body: is empty/],
      ['a non-JSON body', 'this is not json', 'invalid_json', /^body: is not valid JSON/],
      ['a JSON array', '[]', 'invalid_payload', /^\(body\)|^id:|^type:|: /],
      ['a deeply nested body', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'invalid_payload', /: /],
      [
        'a deeply nested object in metadata',
        stripeBody(Variants.paidSessionEvent()).replace(
          '"metadata": {',
          `"metadata": {"deep": ${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)},`,
        ),
        'invalid_payload',
        /^data\.object\.metadata\.deep:/,
      ],
    ])('400 for %s, naming the problem', async (_name, signedBody, code, message) => {
      const response = await http(stripeEvent(signedBody));

      expect(response.status).toBe(400);
      expect(response.body.error).toBe(code);
      expect(String(response.body.message)).toMatch(message);
      expect(putEntries()).toEqual([]);
    });

    it('accepts, not bounces, a signed genuine order whose e-mail is not an address: a person fixes it', async () => {
      const signed = published(Samples.shopify.ordersPaid)
        .replaceAll('"email": "jon@example.com"', '"email": "not-an-email"')
        .replaceAll('"contact_email": "jon@example.com"', '"contact_email": null');

      const response = await http(
        httpApiEvent('shopify', signed, { headers: shopifyHeaders(signed, 'orders/paid') }),
      );

      expect(response.status).toBe(202);
      expect(JSON.parse(putEntries()[0]?.Detail ?? '{}').buyer.email).toBe('not-an-email');
    });

    it('413 for a body above 256 KiB, even when signed', async () => {
      const oversized = JSON.stringify({ padding: 'x'.repeat(256 * 1024) });

      const response = await http(stripeEvent(oversized));

      expect(response.status).toBe(413);
      expect(response.body.error).toBe('payload_too_large');
      expect(putEntries()).toEqual([]);
    });

    it('404 for a provider it does not serve', async () => {
      const response = await http(httpApiEvent('paypal', body, { headers: stripeHeaders(body, NOW) }));

      expect(response.status).toBe(404);
      expect(response.body.error).toBe('unknown_provider');
      expect(putEntries()).toEqual([]);
    });
  });

  it('answers 200 {ignored} and publishes nothing for a signed topic it does not handle', async () => {
    const body = stripeBody(sampleJson(Samples.stripe.event));

    expect(await http(stripeEvent(body))).toEqual({ status: 200, body: { ignored: 'plan.created' } });
    expect(putEntries()).toEqual([]);
  });

  it('answers 200 to the unsigned WooCommerce ping so the store can save the webhook', async () => {
    const event = httpApiEvent('woocommerce', 'webhook_id=12', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(await http(event)).toEqual({ status: 200, body: { ignored: 'ping' } });
    expect(putEntries()).toEqual([]);
  });

  it('answers 500 so the provider retries when the bus refuses the entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });

    const response = await http(stripeEvent(stripeBody(Variants.paidSessionEvent())));

    expect(response).toEqual({ status: 500, body: { error: 'publish_failed', message: expect.any(String) } });
  });

  it('answers 500 when the bus cannot be reached', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('connect ECONNREFUSED 127.0.0.1:4010'));

    expect((await http(stripeEvent(stripeBody(Variants.paidSessionEvent())))).status).toBe(500);
  });

  it('publishes the identical event again when the same delivery is retried (downstream collapses on the order key)', async () => {
    const event = stripeEvent(stripeBody(Variants.paidSessionEvent()));

    await http(event);
    await http(event);

    const [first, second] = putEntries();
    expect(second?.Detail).toBe(first?.Detail);
    expect(JSON.parse(first?.Detail ?? '{}').orderKey).toBe(`stripe:default:${SESSION_ID}`);
  });

  it('never writes the signature, the secret or the buyer e-mail to the logs', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const body = stripeBody(Variants.paidSessionEvent());
    const good = stripeEvent(body);
    const bad = stripeEvent(body, NOW, ['whsec_wrong-test-only-not-a-secret']);
    try {
      await http(good);
      await http(bad);
    } finally {
      spy.mockRestore();
    }

    const output = writes.join('');
    expect(output).toContain('order event published');
    expect(output).toContain('signature_mismatch');
    for (const secret of [
      ...TEST_SECRETS.stripe,
      ROTATED_SECRETS.stripe,
      'whsec_wrong-test-only-not-a-secret',
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).not.toContain(good.headers['stripe-signature']);
    expect(output).not.toContain(bad.headers['stripe-signature']);
    expect(output).not.toContain('ada.lovelace@example.com');
  });

  it('emits WebhooksRejected by reason for a bad signature and OrdersReceived for an accepted order', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const body = stripeBody(Variants.paidSessionEvent());
    try {
      await http(httpApiEvent('stripe', body));
      await http(stripeEvent(body));
    } finally {
      spy.mockRestore();
    }

    const emf = writes
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(emf).toContainEqual(
      expect.objectContaining({ WebhooksRejected: 1, reason: 'missing_signature', provider: 'stripe' }),
    );
    expect(emf).toContainEqual(
      expect.objectContaining({ OrdersReceived: 1, kind: 'paid', provider: 'stripe' }),
    );
    expect(emf.filter((line) => 'OrdersReceived' in line)).toHaveLength(1);
  });

  describe('native EventBridge deliveries', () => {
    /** An EventBridge event from the Stripe partner source, whose detail is the Stripe event (AWS's envelope). */
    const partnerStripe = (detail: Json): Json => ({
      version: '0',
      id: '8f2a3b4c-1d2e-4f5a-9b8c-7d6e5f4a3b2c',
      'detail-type': detail.type,
      source: 'aws.partner/stripe.com/ed_test_61Rfixture0001',
      account: '123456789012',
      time: '2026-01-01T00:00:00Z',
      region: 'eu-west-2',
      resources: ['arn:aws:events:eu-west-2::event-source/aws.partner/stripe.com/ed_test_61Rfixture0001'],
      detail,
    });
    /**
     * An EventBridge event from the Shopify partner source: `{payload, metadata}`. The Lambda runtime parses it
     * with JSON.parse, so the payload's ids above 2^53 arrive rounded, as here.
     */
    const partnerShopify = (): Json => ({
      version: '0',
      id: '0d8d1c3e-54c3-4ad6-b6f4-3b3f0f4d6a11',
      'detail-type': 'shopifyWebhook',
      source: 'aws.partner/shopify.com/1234567/yay-provisioning',
      account: '123456789012',
      time: '2026-01-01T00:00:00Z',
      region: 'eu-west-2',
      resources: [],
      detail: {
        payload: JSON.parse(published(Samples.shopify.ordersPaid)),
        metadata: {
          'X-Shopify-Topic': 'orders/paid',
          'X-Shopify-Shop-Domain': SHOP_DOMAIN,
          'X-Shopify-Event-Id': '59d6d79c-595f-4e7e-bc6f-72f5c3d0c670',
          'X-Shopify-Triggered-At': '2025-07-10T16:15:47.000000Z',
        },
      },
    });

    it('publishes the same event for a Stripe partner event as for the signed webhook, without HMAC', async () => {
      const outcome = await handler(partnerStripe(Variants.paidSessionEvent()) as never, lambdaContext);
      await http(stripeEvent(stripeBody(Variants.paidSessionEvent())));

      expect(outcome).toEqual({
        outcome: 'published',
        kind: 'paid',
        orderKey: `stripe:default:${SESSION_ID}`,
      });
      const [fromPartner, fromWebhook] = putEntries();
      expect(fromPartner?.Detail).toBe(fromWebhook?.Detail);
    });

    it('publishes a Shopify partner event with the exact order id, read from its GraphQL id', async () => {
      const outcome = await handler(partnerShopify() as never, lambdaContext);

      expect(outcome).toEqual({
        outcome: 'published',
        kind: 'paid',
        orderKey: `shopify:${SHOP_DOMAIN}:820982911946154508`,
      });
      expect(putEntries().map((entry) => entry.DetailType)).toEqual(['Order Paid']);
    });

    it('rejects and publishes nothing for an event from a source that is not a partner it knows', async () => {
      const foreign = { ...partnerStripe(Variants.paidSessionEvent()), source: 'aws.partner/evil.example/1' };

      expect(await handler(foreign as never, lambdaContext)).toMatchObject({
        outcome: 'rejected',
        reason: 'unknown_source',
      });
      expect(putEntries()).toEqual([]);
    });

    it('rejects and publishes nothing for a partner event whose detail is malformed', async () => {
      const partner = partnerStripe({
        id: 'evt_1',
        type: 'checkout.session.completed',
        created: NOW,
        data: { object: {} },
      });

      expect(await handler(partner as never, lambdaContext)).toMatchObject({
        outcome: 'rejected',
        reason: 'invalid_payload',
      });
      expect(putEntries()).toEqual([]);
    });

    it('throws so EventBridge retries when the bus refuses a partner event', async () => {
      eventBridge
        .on(PutEventsCommand)
        .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });

      await expect(handler(partnerShopify() as never, lambdaContext)).rejects.toThrow(/ThrottlingException/);
    });
  });
});
