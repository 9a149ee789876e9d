import Stripe from 'stripe';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  safeEqual,
  verifyBase64HmacSignature,
  verifyStripeSignature,
} from '../../../shared/webhooks/signatures';
import {
  base64Hmac,
  published,
  ROTATED_SECRETS,
  Samples,
  stripeBody,
  stripeEvent,
  stripeSignatureHeader,
  TEST_SECRETS,
  Variants,
} from '../../fixtures/webhooks';

const body = Buffer.from(stripeBody(Variants.paidSessionEvent()), 'utf8');
const [secret] = TEST_SECRETS.stripe;
const now = 1_767_225_600;

describe('verifyStripeSignature', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts a header made by the official stripe package when the secret matches', () => {
    const stripe = new Stripe('sk_test_test-only-not-a-secret');
    const header = stripe.webhooks.generateTestHeaderString({
      payload: body.toString('utf8'),
      secret,
      timestamp: now,
    });

    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({ ok: true });
  });

  it('agrees with the stripe package that our own test signer produces a valid header', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(now * 1000);
    const header = stripeSignatureHeader(body, [secret], now);
    const stripe = new Stripe('sk_test_test-only-not-a-secret');

    expect(stripe.webhooks.constructEvent(body, header, secret, 300).id).toBe('evt_1QfixtureCompletedPaid');
    expect(verifyStripeSignature(body, header, [secret], now + 1)).toEqual({ ok: true });
  });

  it('accepts any of several v1 signatures when Stripe signs with an old and a new secret', () => {
    const header = stripeSignatureHeader(body, ['whsec_retired-test-only-not-a-secret', secret], now);

    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({ ok: true });
  });

  it('accepts a signature under the second active secret during a rotation', () => {
    const header = stripeSignatureHeader(body, [ROTATED_SECRETS.stripe], now);

    expect(verifyStripeSignature(body, header, [secret, ROTATED_SECRETS.stripe], now)).toEqual({ ok: true });
  });

  it('rejects a tampered body when the signature was made over the original', () => {
    const header = stripeSignatureHeader(body, [secret], now);
    const tampered = Buffer.from(body.toString('utf8').replace('"10.000"', '"99.000"'), 'utf8');

    expect(verifyStripeSignature(tampered, header, [secret], now)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects a signature made with the wrong secret', () => {
    const header = stripeSignatureHeader(body, ['whsec_wrong-test-only-not-a-secret'], now);

    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects a timestamp older than the 300 s tolerance (a replay)', () => {
    const header = stripeSignatureHeader(body, [secret], now - 301);

    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(verifyStripeSignature(body, header, [secret], now - 1)).toEqual({ ok: true });
  });

  it('rejects a timestamp more than 300 s in the future', () => {
    const header = stripeSignatureHeader(body, [secret], now + 301);

    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
  });

  it('rejects a replayed header with a changed body even inside the tolerance', () => {
    const header = stripeSignatureHeader(body, [secret], now);
    const other = Buffer.from(stripeBody(stripeEvent('charge.refunded', Variants.refundedCharge())), 'utf8');

    expect(verifyStripeSignature(other, header, [secret], now + 10)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects a re-signed timestamp when only t was changed (the timestamp is under the MAC)', () => {
    const header = stripeSignatureHeader(body, [secret], now - 1000).replace(`t=${now - 1000}`, `t=${now}`);

    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it.each([
    ['missing', undefined, 'missing_signature'],
    ['empty', '  ', 'missing_signature'],
    ['without t', `v1=${'a'.repeat(64)}`, 'malformed_signature'],
    ['without v1', `t=${now}`, 'malformed_signature'],
    ['with a non-hex v1', `t=${now},v1=${'z'.repeat(64)}`, 'malformed_signature'],
    ['with a short v1', `t=${now},v1=abcd`, 'malformed_signature'],
    ['with a non-numeric t', `t=soon,v1=${'a'.repeat(64)}`, 'malformed_signature'],
    ['with only the v0 test scheme', `t=${now},v0=${'a'.repeat(64)}`, 'malformed_signature'],
  ])('rejects a header that is %s', (_name, header, reason) => {
    expect(verifyStripeSignature(body, header, [secret], now)).toEqual({ ok: false, reason });
  });

  it('rejects everything when no secret is configured for the provider', () => {
    const header = stripeSignatureHeader(body, [secret], now);

    expect(verifyStripeSignature(body, header, [], now)).toEqual({
      ok: false,
      reason: 'no_secret_configured',
    });
  });
});

describe('verifyBase64HmacSignature', () => {
  const raw = Buffer.from(published(Samples.shopify.ordersCreate), 'utf8');
  const [shopifySecret] = TEST_SECRETS.shopify;

  it('accepts the base64 HMAC-SHA256 of the raw body when the secret matches', () => {
    expect(verifyBase64HmacSignature(raw, base64Hmac(raw, shopifySecret), [shopifySecret])).toEqual({
      ok: true,
    });
  });

  it('accepts a signature under the rotated-in secret when both are active', () => {
    const header = base64Hmac(raw, ROTATED_SECRETS.shopify);

    expect(verifyBase64HmacSignature(raw, header, [shopifySecret, ROTATED_SECRETS.shopify])).toEqual({
      ok: true,
    });
  });

  it('rejects a body re-serialized after signing (whitespace differs, bytes differ)', () => {
    const header = base64Hmac(raw, shopifySecret);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))), 'utf8');

    expect(verifyBase64HmacSignature(reserialized, header, [shopifySecret])).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('rejects a hex-encoded MAC where base64 is expected', () => {
    const hex = Buffer.from(base64Hmac(raw, shopifySecret), 'base64').toString('hex');

    expect(verifyBase64HmacSignature(raw, hex, [shopifySecret])).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('rejects a valid MAC with junk characters that lenient base64 decoding would skip', () => {
    const header = `${base64Hmac(raw, shopifySecret)}!!`;

    expect(verifyBase64HmacSignature(raw, header, [shopifySecret])).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('rejects a wrong secret and a missing header', () => {
    expect(
      verifyBase64HmacSignature(raw, base64Hmac(raw, 'wrong-test-only-not-a-secret'), [shopifySecret]),
    ).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifyBase64HmacSignature(raw, undefined, [shopifySecret])).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });
});

describe('safeEqual', () => {
  it('returns false without throwing when lengths differ', () => {
    expect(safeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(safeEqual(Buffer.from('abcd'), Buffer.from('abcd'))).toBe(true);
  });
});
