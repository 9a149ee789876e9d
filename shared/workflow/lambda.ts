import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import type { Context } from 'aws-lambda';
import { DependencyUnavailable, ProvisioningError } from '../errors';
import { logger, metrics, tracer } from '../observability';

/** The keys every log line of one invocation carries. */
export interface InvocationKeys {
  orderKey?: string;
  execution?: string;
}

/** Pulls the order key and execution out of any event shape the workflow uses, without validating it. */
export function invocationKeys(event: unknown): InvocationKeys {
  if (typeof event !== 'object' || event === null) return {};
  const record = event as Record<string, unknown>;
  const nested = (value: unknown, key: string) =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    orderKey:
      text(nested(record.order, 'orderKey')) ??
      text(record.orderKey) ??
      text(nested(record.detail, 'orderKey')),
    execution: text(record.executionArn) ?? text(record.execution),
  };
}

/** Appends `orderKey` and `execution` to every log line of the invocation (reset afterwards by injectLambdaContext). */
const appendInvocationKeys = (): MiddlewareObj => ({
  before: async (request) => {
    const keys = invocationKeys(request.event);
    const present = Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined));
    logger.appendKeys(present);
    tracer.putAnnotation('orderKey', keys.orderKey ?? 'none');
  },
});

/**
 * An AWS SDK error that the SDK's own classification calls transient — a throttle, a timeout, a reset, a 5xx — and
 * that outlived the SDK's retries, is renamed {@link DependencyUnavailable} (the original kept as `cause`), which
 * every Task retries. Without this its own name (`TimeoutError`, `InternalServerError`, `ECONNRESET`…) would meet
 * the Catch-all and end the order as failed: one slow call would need a person. Our own errors pass unchanged.
 */
export function classifyError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof ProvisioningError) return error;
  const sdk = error as Parameters<typeof isTransientError>[0];
  if (!isThrottlingError(sdk) && !isTransientError(sdk) && !isServerError(sdk)) return error;
  return new DependencyUnavailable(`${error.name}: ${error.message}`, { cause: error });
}

const transientStaysTransient = (): MiddlewareObj => ({
  onError: async (request) => {
    request.error = classifyError(request.error) as Error;
  },
});

/**
 * The one middy chain every workflow Lambda uses: Lambda context and order/execution keys on the logs,
 * metrics flushed (EMF) at the end, a trace segment. The body stays one use-case call; errors propagate
 * with their `name` intact, which is what the state machine's Retry/Catch match on.
 */
export function workflowHandler<TEvent, TResult>(
  body: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy<TEvent, TResult>(body)
    .use(transientStaysTransient())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(appendInvocationKeys())
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }));
}
