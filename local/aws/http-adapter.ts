import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * Local mode serves the webhook routes through these two functions, so the unmodified Lambda handler sees
 * the same API Gateway HTTP API (payload format 2.0) event it gets in AWS.
 *
 * Body encoding (a decision): the body is passed as text when its bytes are valid UTF-8 and as base64 with
 * `isBase64Encoded: true` otherwise, which is what the HTTP API does for text content and what keeps
 * arbitrary bytes intact — a signature over the raw bytes must survive the trip. An empty body is
 * omitted, as API Gateway does.
 */

/** Routes with path parameters, as the HTTP API declares them; anything else goes to `$default`. */
const ROUTES: ReadonlyArray<{
  method: string;
  pattern: RegExp;
  routeKey: string;
  params: readonly string[];
}> = [
  {
    method: 'POST',
    pattern: /^\/webhooks\/([^/]+)\/?$/,
    routeKey: 'POST /webhooks/{provider}',
    params: ['provider'],
  },
];

function joinHeader(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  // The HTTP API joins repeated headers with commas.
  return Array.isArray(value) ? value.join(',') : value;
}

/** Converts a Node request and its fully read body into an HTTP API 2.0 event. */
export function toHttpApiEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const rawPath = url.pathname;

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  // Node already lower-cases incoming header names; for…in avoids an entries array per request.
  for (const name in req.headers) {
    const value = req.headers[name];
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      // Payload 2.0 moves cookies out of the headers into their own array.
      cookies = joinHeader(value)
        ?.split(';')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      continue;
    }
    const joined = joinHeader(value);
    if (joined !== undefined) headers[lower] = joined;
  }

  let queryStringParameters: Record<string, string> | undefined;
  // `url.searchParams` builds a URLSearchParams object on first access: a webhook POST has no query string.
  if (url.search !== '')
    for (const [key, value] of url.searchParams) {
      queryStringParameters ??= {};
      queryStringParameters[key] =
        key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
    }

  let routeKey = '$default';
  let pathParameters: Record<string, string> | undefined;
  for (const route of ROUTES) {
    const match = route.method === method ? route.pattern.exec(rawPath) : null;
    if (!match) continue;
    routeKey = route.routeKey;
    pathParameters = Object.fromEntries(
      route.params.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]),
    );
    break;
  }

  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: url.search.startsWith('?') ? url.search.slice(1) : '',
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies && cookies.length > 0) event.cookies = cookies;
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (pathParameters) event.pathParameters = pathParameters;
  if (body.length > 0) {
    const text = isUtf8(body);
    event.body = text ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

/** Writes an HTTP API structured result to a Node response, as API Gateway would. */
export function sendHttpApiResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  // With no content type, the HTTP API answers JSON.
  headers['content-type'] ??= 'application/json';
  headers['content-length'] = body.length;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}
