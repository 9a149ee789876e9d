import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Why a signature check failed. Used as the `reason` dimension of the `WebhooksRejected` metric and in
 * logs; never carries the signature, the secret or the body.
 */
export type SignatureFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'signature_mismatch'
  | 'stale_timestamp'
  | 'no_secret_configured';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

/** Stripe's default tolerance: a signed timestamp older (or newer) than this is a replay. */
export const STRIPE_TOLERANCE_SECONDS = 300;

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/** Constant-time equality of two byte strings; unequal lengths are unequal without comparing. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  // timingSafeEqual throws on unequal lengths; the length of a MAC is public, so checking it first leaks nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a `Stripe-Signature` header (`t=<unix>,v1=<hex>[,v1=<hex>…]`) over the raw body bytes:
 * hex HMAC-SHA256 of `"{t}.{raw body}"` under any of the active endpoint secrets (rotation). Every `v1`
 * is tried, since Stripe signs with each secret still valid during a roll. The timestamp must be within
 * `toleranceSeconds` of `nowSeconds` in either direction: an old one is a replay, a far-future one is forged
 * clock skew we do not need to tolerate.
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = STRIPE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing_signature' };
  if (secrets.length === 0) return { ok: false, reason: 'no_secret_configured' };
  let timestamp: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    // Other schemes (v0 is Stripe's test scheme) are ignored, as Stripe's own library does.
    else if (key === 'v1' && HEX_SHA256.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || candidates.length === 0) {
    return { ok: false, reason: 'malformed_signature' };
  }
  const prefix = Buffer.from(`${timestamp}.`, 'utf8');
  const matched = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(prefix).update(rawBody).digest();
    return candidates.some((candidate) => safeEqual(candidate, expected));
  });
  if (!matched) return { ok: false, reason: 'signature_mismatch' };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds)
    return { ok: false, reason: 'stale_timestamp' };
  return { ok: true };
}

/**
 * Verifies a base64 HMAC-SHA256 of the raw body, as Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce
 * (`X-WC-Webhook-Signature`) send it, under any of the active secrets.
 */
export function verifyBase64HmacSignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing_signature' };
  if (secrets.length === 0) return { ok: false, reason: 'no_secret_configured' };
  const value = header.trim();
  // Buffer.from(…, 'base64') silently skips junk characters; insist on the canonical 44-char form instead.
  if (!BASE64_SHA256.test(value)) return { ok: false, reason: 'malformed_signature' };
  const received = Buffer.from(value, 'base64');
  const matched = secrets.some((secret) =>
    safeEqual(received, createHmac('sha256', secret).update(rawBody).digest()),
  );
  return matched ? { ok: true } : { ok: false, reason: 'signature_mismatch' };
}
