import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Provider } from '../../../shared/domain/keys';
import { ConfigInvalid } from '../../../shared/errors';
import { secretsManagerReader } from '../../../shared/secrets';
import { parseCreditCatalog } from '../../../shared/webhooks/catalog';
import {
  type IntakeDeps,
  type IntakeObserver,
  MAX_BODY_BYTES,
  receiveWebhook,
  type WebhookRequest,
  webhookSecretsFrom,
} from '../../../shared/webhooks/intake';
import { eventBridgePublisher } from '../../../shared/webhooks/publisher';
import {
  Samples,
  SESSION_ID,
  sampleJson,
  stripeBody,
  stripeSignatureHeader,
  TEST_CATALOG_JSON,
  TEST_SECRETS,
  Variants,
} from '../../fixtures/webhooks';

const NOW_MS = 1_767_225_600_000;
const eventBridge = mockClient(EventBridgeClient);

function recorder() {
  const calls: Array<[keyof IntakeObserver, ...unknown[]]> = [];
  const observer: IntakeObserver = {
    rejected: (...args) => calls.push(['rejected', ...args]),
    ignored: (...args) => calls.push(['ignored', ...args]),
    accepted: (event) => calls.push(['accepted', event.orderKey]),
    failed: (provider, stage) => calls.push(['failed', provider, stage]),
  };
  return { calls, observer };
}

function deps(overrides: Partial<IntakeDeps> = {}): IntakeDeps {
  return {
    secrets: { secretsFor: vi.fn(async (provider: Provider) => TEST_SECRETS[provider]) },
    publisher: eventBridgePublisher(new EventBridgeClient({}), 'provisioning-test'),
    catalog: parseCreditCatalog(TEST_CATALOG_JSON),
    now: () => NOW_MS,
    ...overrides,
  };
}

function signedStripe(body: string, t = NOW_MS / 1000): WebhookRequest {
  return {
    provider: 'stripe',
    headers: { 'Stripe-Signature': stripeSignatureHeader(body, TEST_SECRETS.stripe, t) },
    body,
    isBase64Encoded: false,
  };
}

describe('receiveWebhook', () => {
  beforeEach(() => {
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  });

  it('reads header names case-insensitively', async () => {
    const response = await receiveWebhook(signedStripe(stripeBody(Variants.paidSessionEvent())), deps());

    expect(response.statusCode).toBe(202);
  });

  it('uses the injected clock for the Stripe tolerance window', async () => {
    const request = signedStripe(stripeBody(Variants.paidSessionEvent()));

    const inside = await receiveWebhook(request, deps({ now: () => NOW_MS + 300_000 }));
    const outside = await receiveWebhook(request, deps({ now: () => NOW_MS + 301_000 }));

    expect(inside.statusCode).toBe(202);
    expect(outside.statusCode).toBe(401);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('refuses an oversized body with 413 before reading secrets or hashing', async () => {
    const d = deps();
    const { calls, observer } = recorder();
    const base64 = Buffer.alloc(MAX_BODY_BYTES + 1, 0x7b).toString('base64');

    const plain = await receiveWebhook(signedStripe('x'.repeat(MAX_BODY_BYTES + 1)), { ...d, observer });
    const encoded = await receiveWebhook(
      { ...signedStripe(''), body: base64, isBase64Encoded: true },
      { ...d, observer },
    );

    expect([plain.statusCode, encoded.statusCode]).toEqual([413, 413]);
    expect(d.secrets.secretsFor).not.toHaveBeenCalled();
    expect(calls).toEqual([
      ['rejected', 'stripe', 'payload_too_large', 413],
      ['rejected', 'stripe', 'payload_too_large', 413],
    ]);
  });

  it('accepts a body of exactly 256 KiB as far as the signature check', async () => {
    const body = 'x'.repeat(MAX_BODY_BYTES);

    const response = await receiveWebhook(signedStripe(body), deps());

    expect(response).toMatchObject({ statusCode: 400, body: { error: 'invalid_json' } });
  });

  it('counts a multi-byte body by bytes, not characters', async () => {
    const body = '£'.repeat(MAX_BODY_BYTES / 2 + 1);

    expect((await receiveWebhook(signedStripe(body), deps())).statusCode).toBe(413);
  });

  it('answers 500 and publishes nothing when the signing secrets cannot be read', async () => {
    const { calls, observer } = recorder();
    const failing = {
      secretsFor: async () => Promise.reject(new ConfigInvalid('secret webhooks could not be read')),
    };

    const response = await receiveWebhook(signedStripe(stripeBody(Variants.paidSessionEvent())), {
      ...deps(),
      secrets: failing,
      observer,
    });

    expect(response).toEqual({
      statusCode: 500,
      body: { error: 'unavailable', message: expect.any(String) },
    });
    expect(calls).toEqual([['failed', 'stripe', 'secrets']]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('answers 401 when no secret is configured for the provider, reporting why', async () => {
    const { calls, observer } = recorder();

    const response = await receiveWebhook(signedStripe(stripeBody(Variants.paidSessionEvent())), {
      ...deps({ secrets: { secretsFor: async () => [] } }),
      observer,
    });

    expect(response.statusCode).toBe(401);
    expect(calls).toEqual([['rejected', 'stripe', 'no_secret_configured', 401]]);
  });

  it('reports accepted, ignored and each rejection reason to the observer', async () => {
    const { calls, observer } = recorder();
    const d = deps({ observer });

    await receiveWebhook(signedStripe(stripeBody(Variants.paidSessionEvent())), d);
    await receiveWebhook(signedStripe(stripeBody(sampleJson(Samples.stripe.event))), d);
    await receiveWebhook(signedStripe('{'), d);
    await receiveWebhook({ provider: 'nope', headers: {}, body: '{}', isBase64Encoded: false }, d);

    expect(calls).toEqual([
      ['accepted', `stripe:default:${SESSION_ID}`],
      ['ignored', 'stripe', 'plan.created'],
      ['rejected', 'stripe', 'invalid_json', 400],
      ['rejected', 'unknown', 'unknown_provider', 404],
    ]);
  });
});

describe('webhookSecretsFrom', () => {
  const secretsManager = mockClient(SecretsManagerClient);

  it('returns the active secrets of the asked provider from the Secrets Manager JSON', async () => {
    secretsManager.reset();
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ stripe: ['whsec_a-test-only', 'whsec_b-test-only'] }) });
    const source = webhookSecretsFrom(secretsManagerReader(300, new SecretsManagerClient({})), 'webhooks-a');

    expect(await source.secretsFor('stripe')).toEqual(['whsec_a-test-only', 'whsec_b-test-only']);
    expect(await source.secretsFor('shopify')).toEqual([]);
  });

  it('throws ConfigInvalid naming the field, not the value, when the secret JSON is malformed', async () => {
    secretsManager.reset();
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ stripe: 'whsec_not-a-list-test-only' }) });
    const source = webhookSecretsFrom(secretsManagerReader(300, new SecretsManagerClient({})), 'webhooks-b');

    const error = await source.secretsFor('stripe').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigInvalid);
    expect(String((error as Error).message)).toContain('stripe');
    expect(String((error as Error).message)).not.toContain('whsec_not-a-list-test-only');
  });
});
