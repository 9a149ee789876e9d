import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, metrics and tracer per Lambda container. Service name and namespace come from the
 * Powertools environment variables set by infra (`POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`).
 * Handlers append `orderKey` and `executionArn` with `logger.appendKeys` so every line carries them.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'yay-provisioning' });

/**
 * Powertools Metrics warns "No application metrics to publish" on every invocation that adds none — most
 * steps, most of the time — which would be a WARN line per invocation in CloudWatch. That one message goes
 * to debug; every other Metrics warning stays a warning, through the structured logger.
 */
const EMPTY_METRICS_NOTICE = 'No application metrics to publish';
export const metricsLogger = {
  debug: (...args: unknown[]) =>
    logger.debug(String(args[0] ?? ''), ...args.slice(1).map((extra) => ({ extra }))),
  info: (...args: unknown[]) =>
    logger.info(String(args[0] ?? ''), ...args.slice(1).map((extra) => ({ extra }))),
  error: (...args: unknown[]) =>
    logger.error(String(args[0] ?? ''), ...args.slice(1).map((extra) => ({ extra }))),
  warn: (...args: unknown[]) => {
    const message = String(args[0] ?? '');
    if (message.startsWith(EMPTY_METRICS_NOTICE)) logger.debug(message);
    else logger.warn(message, ...args.slice(1).map((extra) => ({ extra })));
  },
};

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'YayProvisioning',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'yay-provisioning',
  logger: metricsLogger,
});
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'yay-provisioning' });
