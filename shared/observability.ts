import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, metrics and tracer per Lambda container. Service name and namespace come from the
 * Powertools environment variables set by infra (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`).
 * Handlers append `orderKey` and `executionArn` with `logger.appendKeys` so every line carries them.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'yay-provisioning' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'YayProvisioning',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'yay-provisioning',
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'yay-provisioning' });

/** Metric names used by handlers, alarms and the dashboard: one table so infra and code agree. */
export const MetricNames = {
  OrdersReceived: 'OrdersReceived',
  CustomersCreated: 'CustomersCreated',
  CreditMovedMillis: 'CreditMovedMillis',
  TransfersNeedingReview: 'TransfersNeedingReview',
  ResellerBalanceMillis: 'ResellerBalanceMillis',
  CreditOwedMillis: 'CreditOwedMillis',
  WebhooksRejected: 'WebhooksRejected',
  RefundAfterCredit: 'RefundAfterCredit',
  ReconciliationDrift: 'ReconciliationDrift',
} as const;
