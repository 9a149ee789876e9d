import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  fixture,
  fixtureJson,
  httpApiEvent,
  lambdaContext,
  ROTATED_SECRETS,
  SHOP_DOMAIN,
  shopifyHeaders,
  stripeHeaders,
  TEST_SECRETS,
  wooHeaders,
} from '../../fixtures/webhooks';

// The handler reads its configuration at import, as in Lambda; set it before the import is evaluated.
vi.hoisted(() => {
  process.env.EVENT_BUS_NAME = 'provisioning-test';
  process.env.WEBHOOK_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:webhook-test';
  process.env.CREDIT_CATALOG = JSON.stringify({ 'VOIP-10': { GBP: '10.000', EUR: '9.500' } });
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

function published() {
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
    const body = fixture('stripe/checkout.session.completed.paid.json');

    const response = await http(stripeEvent(body));

    expect(response).toEqual({
      status: 202,
      body: { accepted: 'paid', orderKey: 'stripe:default:cs_test_a1fixturePaidSession' },
    });
    const entries = published();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'provisioning-test',
      Source: 'yay.provisioning',
      DetailType: 'Order Paid',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({
      kind: 'paid',
      orderKey: 'stripe:default:cs_test_a1fixturePaidSession',
      buyer: { email: 'ada.lovelace@example.com' },
      credit: { amount: 10000, currency: 'GBP' },
      sourceEventId: 'evt_1QfixtureCompletedPaid',
    });
  });

  it.each([
    ['stripe', 'stripe/checkout.session.completed.unpaid.json', '', 'Order Placed'],
    ['stripe', 'stripe/checkout.session.async_payment_succeeded.json', '', 'Payment Confirmed'],
    ['stripe', 'stripe/checkout.session.async_payment_failed.json', '', 'Payment Failed'],
    ['stripe', 'stripe/charge.refunded.json', '', 'Order Refunded'],
    ['shopify', 'shopify/orders-create.json', 'orders/create', 'Order Placed'],
    ['shopify', 'shopify/orders-paid.json', 'orders/paid', 'Order Paid'],
    ['shopify', 'shopify/refunds-create.json', 'refunds/create', 'Order Refunded'],
    ['woocommerce', 'woocommerce/order-pending.json', 'order.created', 'Order Placed'],
    ['woocommerce', 'woocommerce/order-processing.json', 'order.updated', 'Order Paid'],
  ])('publishes one %s event as "%s" → %s', async (provider, path, topic, detailType) => {
    const body = fixture(path);
    const headers =
      provider === 'stripe'
        ? stripeHeaders(body, NOW)
        : provider === 'shopify'
          ? shopifyHeaders(body, topic)
          : wooHeaders(body, topic);

    const response = await http(httpApiEvent(provider, body, { headers }));

    expect(response.status).toBe(202);
    expect(published().map((entry) => entry.DetailType)).toEqual([detailType]);
  });

  it('verifies the signature over the decoded bytes when API Gateway hands the body base64-encoded', async () => {
    // Latin-1 bytes are not valid UTF-8: only the raw bytes, not a re-encoded string, carry the right MAC.
    const [before, after] = fixture('shopify/orders-paid.json').split('"#1001"');
    const raw = Buffer.concat([
      Buffer.from(`${before}"#1001 `, 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from(`"${after}`, 'utf8'),
    ]);
    expect(Buffer.from(raw.toString('utf8'), 'utf8').equals(raw)).toBe(false);
    const event = httpApiEvent('shopify', raw.toString('base64'), {
      headers: shopifyHeaders(raw, 'orders/paid'),
      isBase64Encoded: true,
    });

    expect((await http(event)).status).toBe(202);
    expect(published()).toHaveLength(1);
  });

  it('accepts a Stripe signature made with the rotated-in secret while both are active', async () => {
    const body = fixture('stripe/checkout.session.completed.paid.json');

    expect((await http(stripeEvent(body, NOW, [ROTATED_SECRETS.stripe]))).status).toBe(202);
  });

  describe('rejects without publishing', () => {
    const body = fixture('stripe/checkout.session.completed.paid.json');

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
        () => ({ ...stripeEvent(body), body: fixture('stripe/checkout.session.completed.unpaid.json') }),
      ],
      ['a wrong secret', () => stripeEvent(body, NOW, ['whsec_wrong-test-only-not-a-secret'])],
      ['a missing signature header', () => httpApiEvent('stripe', body)],
      [
        'a Shopify body signed with the WooCommerce secret',
        () =>
          httpApiEvent('shopify', fixture('shopify/orders-paid.json'), {
            headers: shopifyHeaders(
              fixture('shopify/orders-paid.json'),
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
      expect(published()).toEqual([]);
    });

    it.each([
      ['an empty body', '', 'empty_body', /^body: is empty/],
      ['a non-JSON body', 'this is not json', 'invalid_json', /^body: is not valid JSON/],
      ['a JSON array', '[]', 'invalid_payload', /^\(body\)|^id:|^type:|: /],
      ['a deeply nested body', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'invalid_payload', /: /],
      [
        'a deeply nested object in metadata',
        fixture('stripe/checkout.session.completed.paid.json').replace(
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
      expect(published()).toEqual([]);
    });

    it('400 naming the field when a signed Shopify order has an invalid e-mail', async () => {
      const order = fixtureJson<Record<string, unknown>>('shopify/orders-paid.json');
      order.email = 'not-an-email';
      order.contact_email = null;
      const signed = JSON.stringify(order);

      const response = await http(
        httpApiEvent('shopify', signed, { headers: shopifyHeaders(signed, 'orders/paid') }),
      );

      expect(response).toEqual({
        status: 400,
        body: { error: 'invalid_payload', message: expect.stringMatching(/^buyer\.email:/) },
      });
      expect(published()).toEqual([]);
    });

    it('413 for a body above 256 KiB, even when signed', async () => {
      const oversized = JSON.stringify({ padding: 'x'.repeat(256 * 1024) });

      const response = await http(stripeEvent(oversized));

      expect(response.status).toBe(413);
      expect(response.body.error).toBe('payload_too_large');
      expect(published()).toEqual([]);
    });

    it('404 for a provider it does not serve', async () => {
      const response = await http(httpApiEvent('paypal', body, { headers: stripeHeaders(body, NOW) }));

      expect(response.status).toBe(404);
      expect(response.body.error).toBe('unknown_provider');
      expect(published()).toEqual([]);
    });
  });

  it('answers 200 {ignored} and publishes nothing for a signed topic it does not handle', async () => {
    const body = fixture('stripe/customer.created.json');

    expect(await http(stripeEvent(body))).toEqual({ status: 200, body: { ignored: 'customer.created' } });
    expect(published()).toEqual([]);
  });

  it('answers 200 to the unsigned WooCommerce ping so the store can save the webhook', async () => {
    const event = httpApiEvent('woocommerce', 'webhook_id=12', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(await http(event)).toEqual({ status: 200, body: { ignored: 'ping' } });
    expect(published()).toEqual([]);
  });

  it('answers 500 so the provider retries when the bus refuses the entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
    });

    const response = await http(stripeEvent(fixture('stripe/checkout.session.completed.paid.json')));

    expect(response).toEqual({ status: 500, body: { error: 'publish_failed', message: expect.any(String) } });
  });

  it('answers 500 when the bus cannot be reached', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('connect ECONNREFUSED 127.0.0.1:4010'));

    expect((await http(stripeEvent(fixture('stripe/checkout.session.completed.paid.json')))).status).toBe(
      500,
    );
  });

  it('publishes the identical event again when the same delivery is retried (downstream collapses on the order key)', async () => {
    const event = stripeEvent(fixture('stripe/checkout.session.completed.paid.json'));

    await http(event);
    await http(event);

    const [first, second] = published();
    expect(second?.Detail).toBe(first?.Detail);
    expect(JSON.parse(first?.Detail ?? '{}').orderKey).toBe('stripe:default:cs_test_a1fixturePaidSession');
  });

  it('never writes the signature, the secret or the buyer e-mail to the logs', async () => {
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    const body = fixture('stripe/checkout.session.completed.paid.json');
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
    const body = fixture('stripe/checkout.session.completed.paid.json');
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
    it('publishes the same event for a Stripe partner event as for the signed webhook, without HMAC', async () => {
      const partner = fixtureJson('partner/stripe-checkout-completed.json');

      const outcome = await handler(partner as never, lambdaContext);
      await http(stripeEvent(fixture('stripe/checkout.session.completed.paid.json')));

      expect(outcome).toEqual({
        outcome: 'published',
        kind: 'paid',
        orderKey: 'stripe:default:cs_test_a1fixturePaidSession',
      });
      const [fromPartner, fromWebhook] = published();
      expect(fromPartner?.Detail).toBe(fromWebhook?.Detail);
    });

    it('publishes a Shopify partner event using the X-Shopify-* metadata for topic and store', async () => {
      const outcome = await handler(fixtureJson('partner/shopify-orders-paid.json') as never, lambdaContext);

      expect(outcome).toEqual({
        outcome: 'published',
        kind: 'paid',
        orderKey: `shopify:${SHOP_DOMAIN}:5678901234567`,
      });
      expect(published().map((entry) => entry.DetailType)).toEqual(['Order Paid']);
    });

    it('rejects and publishes nothing for an event from a source that is not a partner it knows', async () => {
      const foreign = {
        ...fixtureJson('partner/stripe-checkout-completed.json'),
        source: 'aws.partner/evil.example/1',
      };

      expect(await handler(foreign as never, lambdaContext)).toMatchObject({
        outcome: 'rejected',
        reason: 'unknown_source',
      });
      expect(published()).toEqual([]);
    });

    it('rejects and publishes nothing for a partner event whose detail is malformed', async () => {
      const partner = fixtureJson<Record<string, unknown>>('partner/stripe-checkout-completed.json');
      partner.detail = {
        id: 'evt_1',
        type: 'checkout.session.completed',
        created: NOW,
        data: { object: {} },
      };

      expect(await handler(partner as never, lambdaContext)).toMatchObject({
        outcome: 'rejected',
        reason: 'invalid_payload',
      });
      expect(published()).toEqual([]);
    });

    it('throws so EventBridge retries when the bus refuses a partner event', async () => {
      eventBridge
        .on(PutEventsCommand)
        .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });

      await expect(
        handler(fixtureJson('partner/shopify-orders-paid.json') as never, lambdaContext),
      ).rejects.toThrow(/ThrottlingException/);
    });
  });
});
