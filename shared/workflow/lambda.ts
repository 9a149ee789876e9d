import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
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
 * The one middy chain every workflow Lambda uses: Lambda context and order/execution keys on the logs,
 * metrics flushed (EMF) at the end, a trace segment. The body stays one use-case call; errors propagate
 * with their `name` intact, which is what the state machine's Retry/Catch match on.
 */
export function workflowHandler<TEvent, TResult>(
  body: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy<TEvent, TResult>(body)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(appendInvocationKeys())
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(captureLambdaHandler(tracer, { captureResponse: false }));
}
