import * as z from 'zod';
import { type Provider, Providers } from '../domain/keys';
import { type SecretReader, WebhookSecretsSchema } from '../secrets';
import type { CreditCatalog } from './catalog';
import { type IntakeEvent, isProvider, type Normalized } from './events';
import { parseJsonExactIntegers } from './json';
import { MalformedPayload } from './payload';
import type { OrderEventPublisher } from './publisher';
import { normalizeShopify } from './shopify';
import { type SignatureCheck, verifyBase64HmacSignature, verifyStripeSignature } from './signatures';
import { normalizeStripe } from './stripe';
import { normalizeWooCommerce } from './woocommerce';

/** Bodies above this are refused with 413 before any decoding, parsing or HMAC work. */
export const MAX_BODY_BYTES = 256 * 1024;

/** One HTTP delivery, independent of API Gateway: what the verifier and normalizers need. */
export interface WebhookRequest {
  /** The `{provider}` path segment. */
  provider: string | undefined;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | undefined>>;
  body: string | undefined;
  /** API Gateway base64-encodes bodies it treats as binary; the signature covers the decoded bytes. */
  isBase64Encoded: boolean;
}

/** Status and JSON body to answer with. */
export interface IntakeResponse {
  statusCode: number;
  body: Record<string, unknown>;
}

/** The active signing secrets of one provider: several during a rotation. */
export interface WebhookSecretSource {
  secretsFor(provider: Provider): Promise<readonly string[]>;
}

/** Where intake reports what it did: logs and metrics in Lambda, a recorder in tests. */
export interface IntakeObserver {
  /** A request refused (4xx); `reason` is a short code, never content from the body or the signature. */
  rejected(provider: string, reason: string, statusCode: number): void;
  ignored(provider: string, topic: string): void;
  accepted(event: IntakeEvent): void;
  /** A dependency failed (secrets, bus): the sender is asked to retry. */
  failed(provider: string, stage: 'secrets' | 'publish', error: unknown): void;
}

export interface IntakeDeps {
  secrets: WebhookSecretSource;
  publisher: OrderEventPublisher;
  catalog: CreditCatalog;
  /** Milliseconds since the epoch; injected so the Stripe tolerance window can be tested. */
  now: () => number;
  observer?: IntakeObserver;
  /** Store id for Stripe events without a Connect `account`; defaults to `default`. */
  stripeStore?: string;
}

/** Reads the webhook secrets JSON (`{"stripe":[…],…}`) through the cached reader on every request. */
export function webhookSecretsFrom(reader: SecretReader, secretId: string): WebhookSecretSource {
  return {
    async secretsFor(provider) {
      const secrets = await reader.read(secretId, WebhookSecretsSchema);
      return secrets[provider];
    },
  };
}

const silent: IntakeObserver = { rejected() {}, ignored() {}, accepted() {}, failed() {} };

const SIGNATURE_HEADER: Record<Provider, string> = {
  stripe: 'stripe-signature',
  shopify: 'x-shopify-hmac-sha256',
  woocommerce: 'x-wc-webhook-signature',
};

/** WooCommerce pings a new webhook's URL with an unsigned form body and refuses to save it unless we 2xx. */
const WOO_PING = /^webhook_id=\d+$/;

function lowerCaseHeaders(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}

/** Size of the body in bytes without decoding it, so an oversized body costs no work. */
function bodyBytes(body: string, isBase64Encoded: boolean): number {
  if (!isBase64Encoded) return body.length > MAX_BODY_BYTES ? body.length : Buffer.byteLength(body, 'utf8');
  return Buffer.byteLength(body, 'base64');
}

function error(statusCode: number, code: string, message: string): IntakeResponse {
  return { statusCode, body: { error: code, message } };
}

function verify(
  provider: Provider,
  raw: Buffer,
  headers: Record<string, string>,
  secrets: readonly string[],
  nowMs: number,
): SignatureCheck {
  const header = headers[SIGNATURE_HEADER[provider]];
  return provider === 'stripe'
    ? verifyStripeSignature(raw, header, secrets, Math.floor(nowMs / 1000))
    : verifyBase64HmacSignature(raw, header, secrets);
}

function normalize(
  provider: Provider,
  payload: unknown,
  headers: Record<string, string>,
  deps: IntakeDeps,
): Normalized {
  switch (provider) {
    case 'stripe':
      return normalizeStripe(payload, { catalog: deps.catalog, defaultStore: deps.stripeStore });
    case 'shopify':
      return normalizeShopify(payload, {
        catalog: deps.catalog,
        topic: headers['x-shopify-topic'],
        shopDomain: headers['x-shopify-shop-domain'],
        eventId: headers['x-shopify-event-id'] ?? headers['x-shopify-webhook-id'],
        triggeredAt: headers['x-shopify-triggered-at'],
      });
    case 'woocommerce':
      return normalizeWooCommerce(payload, {
        catalog: deps.catalog,
        topic: headers['x-wc-webhook-topic'],
        source: headers['x-wc-webhook-source'],
      });
  }
}

/**
 * The intake use case for one HTTP delivery: size → signature → JSON → normalize → publish.
 * 202 once the bus has accepted the event; 401 bad or missing signature; 400 malformed body (the message
 * names the field); 413 oversized; 404 unknown provider; 200 `{ignored}` for topics not acted on, so the
 * sender stops retrying. Only a dependency failure (secrets unreadable, bus refused) answers 500, so the
 * provider retries. Nothing is published for any other answer.
 */
export async function receiveWebhook(request: WebhookRequest, deps: IntakeDeps): Promise<IntakeResponse> {
  const observer = deps.observer ?? silent;
  if (!isProvider(request.provider)) {
    // The path segment is caller-controlled: never a metric dimension (cardinality) nor echoed back.
    observer.rejected('unknown', 'unknown_provider', 404);
    return error(404, 'unknown_provider', `provider: must be one of ${Providers.join(', ')}`);
  }
  const provider = request.provider;
  const body = request.body ?? '';
  if (bodyBytes(body, request.isBase64Encoded) > MAX_BODY_BYTES) {
    observer.rejected(provider, 'payload_too_large', 413);
    return error(413, 'payload_too_large', `body: larger than ${MAX_BODY_BYTES} bytes`);
  }
  const raw = request.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  const headers = lowerCaseHeaders(request.headers);
  const signatureHeader = SIGNATURE_HEADER[provider];

  if (
    provider === 'woocommerce' &&
    headers[signatureHeader] === undefined &&
    WOO_PING.test(raw.toString('utf8'))
  ) {
    observer.ignored(provider, 'ping');
    return { statusCode: 200, body: { ignored: 'ping' } };
  }

  let secrets: readonly string[];
  try {
    secrets = await deps.secrets.secretsFor(provider);
  } catch (cause) {
    observer.failed(provider, 'secrets', cause);
    return error(500, 'unavailable', 'signing secrets could not be read; retry later');
  }
  const check = verify(provider, raw, headers, secrets, deps.now());
  if (!check.ok) {
    observer.rejected(provider, check.reason, 401);
    return error(401, 'invalid_signature', `${signatureHeader}: signature is missing or invalid`);
  }

  let normalized: Normalized;
  try {
    if (raw.length === 0) throw new MalformedPayload('empty_body', 'body: is empty');
    let payload: unknown;
    try {
      // A text body is already the decoded string; only a base64 one needs decoding from the bytes.
      payload = parseJsonExactIntegers(request.isBase64Encoded ? raw.toString('utf8') : body);
    } catch {
      throw new MalformedPayload('invalid_json', 'body: is not valid JSON');
    }
    normalized = normalize(provider, payload, headers, deps);
  } catch (cause) {
    if (!(cause instanceof MalformedPayload)) throw cause;
    observer.rejected(provider, cause.code, 400);
    return error(400, cause.code, cause.message);
  }
  if (normalized.outcome === 'ignored') {
    observer.ignored(provider, normalized.topic);
    return { statusCode: 200, body: { ignored: normalized.topic } };
  }

  try {
    await deps.publisher.publish(normalized.event);
  } catch (cause) {
    observer.failed(provider, 'publish', cause);
    return error(500, 'publish_failed', 'the event could not be published; retry later');
  }
  observer.accepted(normalized.event);
  return { statusCode: 202, body: { accepted: normalized.event.kind, orderKey: normalized.event.orderKey } };
}

/** What happened to one native EventBridge delivery. */
export type PartnerOutcome =
  | { outcome: 'published'; orderKey: string; kind: IntakeEvent['kind'] }
  | { outcome: 'ignored'; topic: string }
  | { outcome: 'rejected'; reason: string; message: string };

/** Partner event source prefixes: `aws.partner/stripe.com/{id}` and `aws.partner/shopify.com/{app}/{name}`. */
const PARTNER_PREFIX: Readonly<Record<string, Provider>> = {
  'aws.partner/stripe.com/': 'stripe',
  'aws.partner/shopify.com/': 'shopify',
};

function metadataValue(metadata: unknown, name: string): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  for (const [key, value] of Object.entries(metadata)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * The intake use case for a native EventBridge delivery from the Stripe or Shopify partner event source.
 * EventBridge authenticates the partner, so there is no HMAC; the payload goes through the same
 * normalizers. Stripe puts the Stripe event in `detail`; Shopify puts `{ payload, metadata }`, where
 * metadata carries the `X-Shopify-*` headers. A malformed or foreign event is rejected (logged, counted,
 * not retried: a retry cannot fix it); a failed publish throws so EventBridge's async invoke retries.
 */
/**
 * The EventBridge envelope fields the partner path reads. Not Powertools' `EventBridgeSchema`: it imports zod
 * by name, which defeats tree shaking and adds about 370 KB to the intake bundle (measured with esbuild's metafile).
 */
const PartnerEnvelopeSchema = z.object({
  source: z.string().min(1),
  'detail-type': z.string(),
  detail: z.unknown(),
});

export async function receivePartnerEvent(input: unknown, deps: IntakeDeps): Promise<PartnerOutcome> {
  const observer = deps.observer ?? silent;
  const envelope = PartnerEnvelopeSchema.safeParse(input);
  if (!envelope.success) {
    observer.rejected('partner', 'invalid_envelope', 400);
    return { outcome: 'rejected', reason: 'invalid_envelope', message: 'not an EventBridge event' };
  }
  const { source, detail } = envelope.data;
  const prefix = Object.keys(PARTNER_PREFIX).find((p) => source.startsWith(p));
  const provider = prefix ? PARTNER_PREFIX[prefix] : undefined;
  if (!provider) {
    observer.rejected('partner', 'unknown_source', 400);
    return {
      outcome: 'rejected',
      reason: 'unknown_source',
      message: 'source: not a Stripe or Shopify partner source',
    };
  }
  let normalized: Normalized;
  try {
    if (provider === 'stripe') {
      normalized = normalizeStripe(detail, { catalog: deps.catalog, defaultStore: deps.stripeStore });
    } else {
      const shopify = (typeof detail === 'object' && detail !== null ? detail : {}) as {
        payload?: unknown;
        metadata?: unknown;
      };
      normalized = normalizeShopify(shopify.payload, {
        catalog: deps.catalog,
        topic: metadataValue(shopify.metadata, 'x-shopify-topic'),
        shopDomain: metadataValue(shopify.metadata, 'x-shopify-shop-domain'),
        eventId:
          metadataValue(shopify.metadata, 'x-shopify-event-id') ??
          metadataValue(shopify.metadata, 'x-shopify-webhook-id'),
        triggeredAt: metadataValue(shopify.metadata, 'x-shopify-triggered-at'),
      });
    }
  } catch (cause) {
    if (!(cause instanceof MalformedPayload)) throw cause;
    observer.rejected(provider, cause.code, 400);
    return { outcome: 'rejected', reason: cause.code, message: cause.message };
  }
  if (normalized.outcome === 'ignored') {
    observer.ignored(provider, normalized.topic);
    return { outcome: 'ignored', topic: normalized.topic };
  }
  try {
    await deps.publisher.publish(normalized.event);
  } catch (cause) {
    observer.failed(provider, 'publish', cause);
    throw cause;
  }
  observer.accepted(normalized.event);
  return { outcome: 'published', orderKey: normalized.event.orderKey, kind: normalized.event.kind };
}
