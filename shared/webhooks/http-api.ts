import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { IntakeResponse, WebhookRequest } from './intake';

const WEBHOOK_PATH = /^\/webhooks\/([^/]+)\/?$/;

/** True for an API Gateway HTTP API (payload 2.0) event rather than an EventBridge delivery. */
export function isHttpApiEvent(event: unknown): event is APIGatewayProxyEventV2 {
  if (typeof event !== 'object' || event === null) return false;
  const context = (event as { requestContext?: { http?: unknown } }).requestContext;
  return typeof context === 'object' && context !== null && typeof context.http === 'object';
}

/**
 * The intake request of an HTTP API event on `POST /webhooks/{provider}`. The provider comes from the
 * path parameter, or from the raw path when the route is a catch-all.
 */
export function fromHttpApiEvent(event: APIGatewayProxyEventV2): WebhookRequest {
  const provider = event.pathParameters?.provider ?? WEBHOOK_PATH.exec(event.rawPath ?? '')?.[1];
  return {
    provider,
    headers: event.headers ?? {},
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
  };
}

/** The HTTP API result for an intake response: JSON, never cached. */
export function toHttpApiResult(response: IntakeResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(response.body),
  };
}
