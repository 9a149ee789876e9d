/**
 * What the handlers are told instead of the template's references, set in the process environment before any
 * handler module is imported (they read it at import).
 */
import { LocalSecretIds } from '../aws/secrets';
import { LOCAL_REGION, type LocalTemplate } from '../aws/template/types';
import type { LocalConfig } from '../config';
import { LOCAL_AWS_CREDENTIALS } from '../runtime-info';
import type { StandIns } from './stand-ins';

/** Local table and bus names: what the handlers are told through TABLE_NAME / EVENT_BUS_NAME. */
export const LOCAL_TABLE_NAME = 'yay-provisioning';

export const LOCAL_BUS_NAME = 'yay-provisioning';

/**
 * What local mode tells the handlers in place of the template's references to AWS resources: the local table, bus,
 * state machine and secrets. The roles are read with the same map (the template's resource behind each variable is
 * the local one), so a grant names exactly what the handler is given.
 */
export function localReferences(stateMachineArn: string): Record<string, string> {
  return {
    TABLE_NAME: LOCAL_TABLE_NAME,
    EVENT_BUS_NAME: LOCAL_BUS_NAME,
    STATE_MACHINE_ARN: stateMachineArn,
    YAY_SECRET_ARN: LocalSecretIds.yay,
    WEBHOOK_SECRET_ARN: LocalSecretIds.webhooks,
    NAMING_KEY_SECRET_ARN: LocalSecretIds.namingKey,
    PASSWORD_KEY_SECRET_ARN: LocalSecretIds.passwordKey,
  };
}

/**
 * The handlers' environment: the constant settings the template gives the functions (catalog, payment
 * window, Powertools names), then what only local mode knows (endpoints, names, secret ids). Set before any
 * handler module is imported: they read it at import.
 */
export function setHandlerEnvironment(
  template: LocalTemplate,
  config: LocalConfig,
  standIns: StandIns,
  yayUrl: string,
  stateMachineArn: string,
): void {
  for (const fn of template.functions.values()) {
    // NODE_OPTIONS is for the Lambda runtime (here it would leak into child processes); the log level
    // is local mode's choice (quietPowertools).
    const { NODE_OPTIONS: _nodeOptions, POWERTOOLS_LOG_LEVEL: _level, ...environment } = fn.environment;
    Object.assign(process.env, environment);
  }
  const paymentWindow = Number(process.env.PAYMENT_WINDOW_SECONDS);
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SFN: standIns.sfn.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: standIns.eventbridge.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standIns.secretsManager.url,
    AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamodbUrl,
    AWS_ENDPOINT_URL_SESV2: standIns.ses.url,
    ...localReferences(stateMachineArn),
    YAY_API_BASE_URL: yayUrl,
    // The sweep expires unpaid orders past the window; keep it in step with the capped callback timeout.
    ...(Number.isFinite(paymentWindow)
      ? {
          PAYMENT_WINDOW_SECONDS: String(
            Math.max(1, Math.ceil(Math.min(paymentWindow, config.maxWaitSeconds))),
          ),
        }
      : {}),
  });
}

/**
 * Powertools reads these when its Logger/Metrics are built, and the CDK constructs import them during the
 * synthesis: set first. Human progress replaces the handlers' JSON logs; with LOCAL_LOG_FORMAT=json they
 * are shown too. EMF metrics have no CloudWatch to go to here.
 */
export function quietPowertools(config: LocalConfig): void {
  Object.assign(process.env, {
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_TRACE_ENABLED: 'false',
    // With tracing off nothing reads the X-Ray SDK's automatic (cls-hooked) context, yet creating it at
    // import installs an async hook with destroy tracking on every promise of the process: in a profile,
    // a tenth of the main thread plus the garbage it leaves. Manual mode skips the hook; the Tracer still
    // wraps the clients and handlers as deployed (and does nothing, as tracing is off).
    AWS_XRAY_MANUAL_MODE: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL:
      config.logFormat === 'json' ? (process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') : 'SILENT',
  });
}
