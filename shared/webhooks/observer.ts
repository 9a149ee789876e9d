import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MetricNames } from '../metric-names';
import type { IntakeObserver } from './intake';

/**
 * Logs and metrics for intake with Powertools. Each invocation ends in exactly one outcome, so the
 * dimensions added here describe the one metric flushed by `logMetrics` at the end of the invocation.
 * Only codes, the provider, the order key and the kind are logged: never a body, a signature or a secret.
 */
export function powertoolsObserver(logger: Logger, metrics: Metrics): IntakeObserver {
  return {
    rejected(provider, reason, statusCode) {
      logger.warn('webhook rejected', { provider, reason, statusCode });
      metrics.addDimensions({ provider, reason });
      metrics.addMetric(MetricNames.WebhooksRejected, MetricUnit.Count, 1);
    },
    ignored(provider, topic) {
      logger.info('webhook ignored', { provider, topic: topic.slice(0, 100) });
    },
    accepted(event) {
      logger.info('order event published', {
        provider: event.provider,
        orderKey: event.orderKey,
        kind: event.kind,
      });
      metrics.addDimensions({ provider: event.provider, kind: event.kind });
      metrics.addMetric(MetricNames.OrdersReceived, MetricUnit.Count, 1);
    },
    failed(provider, stage, error) {
      // SDK errors name the resource and the fault, not the payload; keep the name and message only.
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      logger.error('webhook intake dependency failed', { provider, stage, error: { name, message } });
    },
  };
}
