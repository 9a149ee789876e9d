import { isUtf8 } from 'node:buffer';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { toHttpApiEvent } from '../../../infra/local/http-adapter';
import { parseCreditCatalog } from '../../../shared/webhooks/catalog';
import { type IntakeDeps, receiveWebhook } from '../../../shared/webhooks/intake';
import { eventBridgePublisher } from '../../../shared/webhooks/publisher';
import { verifyBase64HmacSignature, verifyStripeSignature } from '../../../shared/webhooks/signatures';
import {
  base64Hmac,
  fixtureJson,
  stripeSignatureHeader,
  TEST_CATALOG_JSON,
  TEST_SECRETS,
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

/** Fixtures an attacker or a buggy store might mutate: a leaf replaced by any JSON value. */
const fixtures: Array<[string, string, Record<string, string>]> = [
  ['stripe', 'stripe/checkout.session.completed.paid.json', {}],
  ['stripe', 'stripe/charge.refunded.json', {}],
  ['shopify', 'shopify/orders-create.json', { 'x-shopify-topic': 'orders/create' }],
  ['shopify', 'shopify/refunds-create.json', { 'x-shopify-topic': 'refunds/create' }],
  ['woocommerce', 'woocommerce/order-processing.json', { 'x-wc-webhook-topic': 'order.updated' }],
];

function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
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

  it('never answers 5xx for a validly signed fixture with any field replaced by any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fixtures),
        fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 5 }),
        fc.jsonValue({ maxDepth: 3 }),
        async ([p, path, extra], where, replacement) => {
          const raw = JSON.stringify(mutate(fixtureJson(path), where, replacement));
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
