import { isUtf8 } from 'node:buffer';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { toHttpApiEvent } from '../../../local/aws/http-adapter';
import { parseCreditCatalog } from '../../../shared/webhooks/catalog';
import { type IntakeDeps, receiveWebhook } from '../../../shared/webhooks/intake';
import { eventBridgePublisher } from '../../../shared/webhooks/publisher';
import { verifyBase64HmacSignature, verifyStripeSignature } from '../../../shared/webhooks/signatures';
import {
  base64Hmac,
  type Json,
  published,
  Samples,
  sampleJson,
  stripeBody,
  stripeEvent,
  stripeObject,
  stripeSignatureHeader,
  TEST_CATALOG_JSON,
  TEST_SECRETS,
  Variants,
  WOO_SOURCE,
} from '../../fixtures/webhooks';

const NOW_MS = 1_767_225_600_000;
const eventBridge = mockClient(EventBridgeClient);
const deps: IntakeDeps = {
  secrets: { secretsFor: async (provider) => TEST_SECRETS[provider] },
  publisher: eventBridgePublisher(new EventBridgeClient({}), 'provisioning-test'),
  catalog: parseCreditCatalog(TEST_CATALOG_JSON),
  now: () => NOW_MS,
};

const provider = fc.oneof(fc.constantFrom('stripe', 'shopify', 'woocommerce'), fc.string({ maxLength: 12 }));
const headerName = fc.oneof(
  fc.constantFrom(
    'stripe-signature',
    'Stripe-Signature',
    'x-shopify-hmac-sha256',
    'X-Shopify-Hmac-Sha256',
    'x-wc-webhook-signature',
    'x-shopify-topic',
    'x-shopify-shop-domain',
    'x-wc-webhook-topic',
    'x-wc-webhook-source',
  ),
  fc.string({ minLength: 1, maxLength: 20 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.integer({ min: 0, max: 2_000_000_000 }).map((t) => `t=${t},v1=${'ab'.repeat(32)}`),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.constantFrom('orders/paid', 'order.updated', 'example-shop.myshopify.com', WOO_SOURCE),
);
const body = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
  fc.constantFrom('', 'webhook_id=12', '{}', '[]', 'null'),
);

/** The published samples (and the variant a configured Stripe store sends), each with the headers that route it. */
const [woocommerceParent, woocommerceRenewal] = sampleJson<Json[]>(Samples.woocommerce.subscriptionOrders);
const genuine: Array<[string, string, Record<string, string>]> = [
  ['stripe', stripeBody(Variants.paidSessionEvent()), {}],
  ['stripe', stripeBody(stripeEvent('checkout.session.completed', stripeObject(Samples.stripe.session))), {}],
  ['stripe', stripeBody(stripeEvent('charge.refunded', stripeObject(Samples.stripe.charge))), {}],
  ['stripe', stripeBody(stripeEvent('charge.refunded', stripeObject(Samples.stripe.chargeRefunded))), {}],
  ['stripe', stripeBody(stripeEvent('invoice.paid', Variants.paidRenewalInvoice())), {}],
  ['stripe', stripeBody(stripeEvent('invoice.paid', stripeObject(Samples.stripe.invoicePreviousShape))), {}],
  ['shopify', published(Samples.shopify.ordersCreate), { 'x-shopify-topic': 'orders/create' }],
  ['shopify', published(Samples.shopify.ordersPaid), { 'x-shopify-topic': 'orders/paid' }],
  ['shopify', published(Samples.shopify.testNotification), { 'x-shopify-topic': 'orders/create' }],
  ['shopify', published(Samples.shopify.refundsCreate), { 'x-shopify-topic': 'refunds/create' }],
  ['woocommerce', published(Samples.woocommerce.order), { 'x-wc-webhook-topic': 'order.created' }],
  ['woocommerce', published(Samples.woocommerce.orderCompleted), { 'x-wc-webhook-topic': 'order.updated' }],
  ['woocommerce', JSON.stringify(woocommerceParent), { 'x-wc-webhook-topic': 'order.created' }],
  ['woocommerce', JSON.stringify(woocommerceRenewal), { 'x-wc-webhook-topic': 'order.created' }],
];

/**
 * Parses a sample keeping integers above 2^53 as raw JSON, so a mutated copy serialises them exactly as the
 * provider wrote them (bare numbers), not rounded nor quoted.
 */
function parseKeepingRaw(text: string): unknown {
  const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;
  return JSON.parse(text, (_key, value, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source
      ? rawJson(context.source)
      : value,
  );
}

const isRaw = (value: unknown) => (JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(value);

function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null || isRaw(value)) return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const [head = 0, ...rest] = path;
  const key = keys[head % keys.length] as string;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  copy[key] = mutate((value as Record<string, unknown>)[key], rest, replacement);
  return copy;
}

function sign(providerName: string, raw: string): Record<string, string> {
  if (providerName === 'stripe')
    return { 'stripe-signature': stripeSignatureHeader(raw, TEST_SECRETS.stripe, NOW_MS / 1000) };
  if (providerName === 'shopify') {
    return {
      'x-shopify-hmac-sha256': base64Hmac(raw, TEST_SECRETS.shopify[0]),
      'x-shopify-shop-domain': 'example-shop.myshopify.com',
    };
  }
  return {
    'x-wc-webhook-signature': base64Hmac(raw, TEST_SECRETS.woocommerce[0]),
    'x-wc-webhook-source': WOO_SOURCE,
  };
}

describe('receiveWebhook under fuzzing', () => {
  beforeEach(() => {
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });

  it('never answers 5xx and never publishes when the request carries no valid signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        provider,
        fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
        body,
        fc.boolean(),
        async (p, headers, raw, isBase64Encoded) => {
          const response = await receiveWebhook(
            {
              provider: p,
              headers,
              body: isBase64Encoded ? Buffer.from(raw).toString('base64') : raw,
              isBase64Encoded,
            },
            deps,
          );
          expect(response.statusCode).toBeLessThan(500);
          expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never answers 5xx for a validly signed sample with any field replaced by any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...genuine),
        fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 5 }),
        fc.jsonValue({ maxDepth: 3 }),
        async ([p, text, extra], where, replacement) => {
          const raw = JSON.stringify(mutate(parseKeepingRaw(text), where, replacement));
          const published = eventBridge.commandCalls(PutEventsCommand).length;

          const response = await receiveWebhook(
            { provider: p, headers: { ...extra, ...sign(p, raw) }, body: raw, isBase64Encoded: false },
            deps,
          );

          expect([200, 202, 400]).toContain(response.statusCode);
          // Published exactly when accepted.
          expect(eventBridge.commandCalls(PutEventsCommand).length - published).toBe(
            response.statusCode === 202 ? 1 : 0,
          );
        },
      ),
      { numRuns: 400 },
    );
  });
});

/**
 * What a store may genuinely send besides the published sample: the fields its own docs let be empty (names,
 * e-mails, phones, address parts, SKUs, metadata) null, empty or any text; a nullable object (an address, the
 * customer) null; any new field added anywhere (providers add fields without notice).
 */
const CONTENT_FIELDS = new Set([
  'first_name',
  'last_name',
  'name',
  'email',
  'contact_email',
  'phone',
  'company',
  'address1',
  'address2',
  'address_1',
  'address_2',
  'city',
  'province',
  'province_code',
  'zip',
  'postcode',
  'country',
  'country_code',
  'state',
  'line1',
  'line2',
  'postal_code',
  'sku',
  'customer_email',
  'customer_name',
  'customer_phone',
  'receipt_email',
  'lookup_key',
  'note',
  'yay_credit',
]);
const NULLABLE_OBJECTS = new Set([
  'billing_address',
  'shipping_address',
  'customer',
  'default_address',
  'address',
  'customer_details',
  'billing_details',
  'customer_address',
  'customer_shipping',
  'shipping',
  'collected_information',
]);
const contentValue = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.string({ maxLength: 40 }),
  fc.emailAddress(),
  fc.constant('   '),
);

/** A genuine variation: each content field or nullable object changed with a probability, extra fields added. */
function vary(
  value: unknown,
  choices: () => { pick: number; content: unknown; extra: unknown },
  parent = '',
): unknown {
  if (Array.isArray(value)) return value.map((item) => vary(item, choices, parent));
  if (typeof value !== 'object' || value === null || isRaw(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const { pick, content } = choices();
    if (CONTENT_FIELDS.has(key) && (typeof inner === 'string' || inner === null) && pick < 0.3) {
      // Stripe metadata values are always strings; every other content field may be null.
      out[key] = key === 'yay_credit' ? String(content ?? '') : content;
    } else if (NULLABLE_OBJECTS.has(key) && pick > 0.95) out[key] = null;
    else out[key] = vary(inner, choices, key);
  }
  const { pick, extra } = choices();
  // A new metadata key is a string like every metadata value; elsewhere a new field may hold anything.
  if (pick > 0.9) out.x_new_field_from_the_provider = parent === 'metadata' ? JSON.stringify(extra) : extra;
  return out;
}

describe('receiveWebhook on genuine deliveries', () => {
  beforeEach(() => {
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });

  it('never answers 4xx or 5xx to a correctly signed genuine payload, and publishes it when it is an order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...genuine),
        fc.infiniteStream(
          fc.record({
            pick: fc.double({ min: 0, max: 1, noNaN: true }),
            content: contentValue,
            extra: fc.jsonValue({ maxDepth: 2 }),
          }),
        ),
        async ([p, text, extra], stream) => {
          const iterator = stream[Symbol.iterator]();
          const raw = JSON.stringify(vary(parseKeepingRaw(text), () => iterator.next().value));
          const before = eventBridge.commandCalls(PutEventsCommand).length;

          const response = await receiveWebhook(
            { provider: p, headers: { ...extra, ...sign(p, raw) }, body: raw, isBase64Encoded: false },
            deps,
          );

          expect([200, 202]).toContain(response.statusCode);
          expect(eventBridge.commandCalls(PutEventsCommand).length - before).toBe(
            response.statusCode === 202 ? 1 : 0,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('signature verifiers under fuzzing', () => {
  it('accept the provider-made signature and reject it after any single-byte change of the body', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, secret, at, flip) => {
          const body = Buffer.from(bytes);
          const t = NOW_MS / 1000;
          const tampered = Buffer.from(body);
          const index = at % tampered.length;
          tampered[index] = (tampered[index] ?? 0) ^ flip;
          const stripe = stripeSignatureHeader(body, [secret], t);
          const hmac = base64Hmac(body, secret);

          expect(verifyStripeSignature(body, stripe, [secret], t)).toEqual({ ok: true });
          expect(verifyStripeSignature(tampered, stripe, [secret], t)).toEqual({
            ok: false,
            reason: 'signature_mismatch',
          });
          expect(verifyBase64HmacSignature(body, hmac, [secret])).toEqual({ ok: true });
          expect(verifyBase64HmacSignature(tampered, hmac, [secret])).toEqual({
            ok: false,
            reason: 'signature_mismatch',
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('toHttpApiEvent under fuzzing', () => {
  it('keeps any body byte-for-byte, as text when it is UTF-8 and base64 otherwise', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 100 }).map((s) => Buffer.from(s)),
        ),
        (bytes) => {
          const body = Buffer.from(bytes);
          const req = new IncomingMessage(new Socket());
          req.method = 'POST';
          req.url = '/webhooks/shopify';
          req.headers = { 'content-type': 'application/json' };

          const event = toHttpApiEvent(req, body);
          const decoded =
            event.body === undefined
              ? Buffer.alloc(0)
              : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

          expect(decoded.equals(body)).toBe(true);
          expect(event.isBase64Encoded).toBe(body.length > 0 && !isUtf8(body));
        },
      ),
      { numRuns: 300 },
    );
  });
});
