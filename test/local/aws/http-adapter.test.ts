import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { sendHttpApiResult, toHttpApiEvent } from '../../../local/aws/http-adapter';
import { parseCreditCatalog } from '../../../shared/webhooks/catalog';
import type { IntakeEvent } from '../../../shared/webhooks/events';
import { fromHttpApiEvent, toHttpApiResult } from '../../../shared/webhooks/http-api';
import { receiveWebhook } from '../../../shared/webhooks/intake';
import {
  base64Hmac,
  published,
  Samples,
  SESSION_ID,
  SHOP_DOMAIN,
  stripeBody,
  stripeHeaders,
  TEST_CATALOG_JSON,
  TEST_SECRETS,
  Variants,
} from '../../fixtures/webhooks';

let server: Server | undefined;

async function serve(
  respond: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>,
): Promise<{ url: string; events: APIGatewayProxyEventV2[] }> {
  const events: APIGatewayProxyEventV2[] = [];
  server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const event = toHttpApiEvent(req, Buffer.concat(chunks));
    events.push(event);
    sendHttpApiResult(res, await respond(event));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, events };
}

afterEach(async () => {
  if (server) {
    server.close();
    await once(server, 'close');
    server = undefined;
  }
});

describe('toHttpApiEvent', () => {
  it('builds a 2.0 event with lower-cased headers, path parameters, query and a text JSON body', async () => {
    const { url, events } = await serve(async () => ({ statusCode: 204 }));

    await fetch(`${url}/webhooks/shopify?a=1&a=2&b=x`, {
      method: 'POST',
      headers: {
        'X-Shopify-Topic': 'orders/paid',
        'Content-Type': 'application/json',
        Cookie: 'c1=v1; c2=v2',
      },
      body: '{"id":1}',
    });

    const [event] = events;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /webhooks/{provider}',
      rawPath: '/webhooks/shopify',
      rawQueryString: 'a=1&a=2&b=x',
      queryStringParameters: { a: '1,2', b: 'x' },
      pathParameters: { provider: 'shopify' },
      cookies: ['c1=v1', 'c2=v2'],
      body: '{"id":1}',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/webhooks/shopify', sourceIp: '127.0.0.1' } },
    });
    expect(event?.headers['x-shopify-topic']).toBe('orders/paid');
    expect(Object.keys(event?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event?.headers.cookie).toBeUndefined();
  });

  it('base64-encodes a body that is not valid UTF-8 so its bytes survive unchanged', async () => {
    const { url, events } = await serve(async () => ({ statusCode: 204 }));
    const bytes = Buffer.from([0x7b, 0xe9, 0xff, 0x00, 0x7d]);

    await fetch(`${url}/webhooks/woocommerce`, { method: 'POST', body: bytes });

    expect(events[0]?.isBase64Encoded).toBe(true);
    expect(Buffer.from(events[0]?.body ?? '', 'base64').equals(bytes)).toBe(true);
  });

  it('omits the body and uses the $default route for an empty GET', async () => {
    const { url, events } = await serve(async () => ({ statusCode: 204 }));

    await fetch(`${url}/healthz`);

    expect(events[0]).toMatchObject({ routeKey: '$default', rawPath: '/healthz', isBase64Encoded: false });
    expect(events[0]?.body).toBeUndefined();
    expect(events[0]?.pathParameters).toBeUndefined();
  });
});

describe('sendHttpApiResult', () => {
  it('writes status, headers, cookies and a JSON body, defaulting the content type to JSON', async () => {
    const { url } = await serve(async () => ({
      statusCode: 202,
      body: '{"accepted":"paid"}',
      cookies: ['a=b'],
    }));

    const response = await fetch(`${url}/webhooks/stripe`, { method: 'POST', body: '{}' });

    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('set-cookie')).toBe('a=b');
    expect(await response.json()).toEqual({ accepted: 'paid' });
  });

  it('decodes a base64 result body before writing it', async () => {
    const bytes = Buffer.from([1, 2, 3, 250]);
    const { url } = await serve(async () => ({
      statusCode: 200,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    }));

    const response = await fetch(`${url}/x`);

    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

describe('intake over the local HTTP adapter', () => {
  it('verifies signatures over the exact bytes sent, text or binary, and answers as the HTTP API does', async () => {
    const accepted: IntakeEvent[] = [];
    const deps = {
      secrets: {
        secretsFor: async (provider: 'stripe' | 'shopify' | 'woocommerce') => TEST_SECRETS[provider],
      },
      publisher: { publish: async (event: IntakeEvent) => void accepted.push(event) },
      catalog: parseCreditCatalog(TEST_CATALOG_JSON),
      now: () => Date.now(),
    };
    const { url } = await serve(async (event) =>
      toHttpApiResult(await receiveWebhook(fromHttpApiEvent(event), deps)),
    );
    const stripeText = stripeBody(Variants.paidSessionEvent());
    const [before, after] = published(Samples.shopify.ordersPaid).split('"#9999"');
    const shopifyBody = Buffer.concat([
      Buffer.from(`${before}"#9999 `),
      Buffer.from([0xe9]),
      Buffer.from(`"${after}`),
    ]);

    const stripe = await fetch(`${url}/webhooks/stripe`, {
      method: 'POST',
      headers: stripeHeaders(stripeText, Math.floor(Date.now() / 1000)),
      body: stripeText,
    });
    const shopify = await fetch(`${url}/webhooks/shopify`, {
      method: 'POST',
      headers: {
        'X-Shopify-Topic': 'orders/paid',
        'X-Shopify-Shop-Domain': SHOP_DOMAIN,
        'X-Shopify-Hmac-Sha256': base64Hmac(shopifyBody, TEST_SECRETS.shopify[0]),
      },
      body: shopifyBody,
    });
    const unknown = await fetch(`${url}/webhooks/paypal`, { method: 'POST', body: '{}' });

    expect([stripe.status, shopify.status, unknown.status]).toEqual([202, 202, 404]);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_provider' });
    expect(accepted.map((event) => event.orderKey)).toEqual([
      `stripe:default:${SESSION_ID}`,
      `shopify:${SHOP_DOMAIN}:820982911946154508`,
    ]);
  });
});
