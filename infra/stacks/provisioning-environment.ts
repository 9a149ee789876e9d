import type { EnvName } from '../../shared/config';
import { formatCredit } from '../../shared/domain/credit';
import { yaySettingsEnv } from '../../shared/yay/settings';
import { catalogEnvValue, configuredStoreFronts, type InfraConfig } from '../config';
import type { FunctionName } from '../names';
import type { StatefulResources } from './provisioning-stack';

/** How long one Yay HTTP call may take before it counts as unavailable (or, for a transfer, unknown). */
const YAY_TIMEOUT_MS = 10_000;
/** Secrets are re-read this often, so a rotated value applies within minutes and no deploy. */
const SECRETS_MAX_AGE_SECONDS = 300;

/**
 * Each function's environment: exactly the variables its handler reads at cold start (test/infra/handler-env.test.ts
 * imports every handler with them). `STATE_MACHINE_ARN` is added by the stack once the state machine exists.
 */
export function functionEnvironments(
  config: InfraConfig,
  { table, bus, yaySecret, webhookSecret, namingKeySecret, passwordKeySecret }: StatefulResources,
): Record<FunctionName, Partial<Record<EnvName, string>>> {
  const yay: Partial<Record<EnvName, string>> = {
    YAY_API_BASE_URL: config.yayApiBaseUrl,
    YAY_STORE_FRONT: config.yayStoreFront,
    YAY_SECRET_ARN: yaySecret.secretArn,
    YAY_TIMEOUT_MS: String(YAY_TIMEOUT_MS),
    SECRETS_MAX_AGE_SECONDS: String(SECRETS_MAX_AGE_SECONDS),
    // Only the settings that differ from their defaults: a deployment that sets none gets no new variable.
    ...yaySettingsEnv(config.yaySettings),
  };
  const tableEnv: Partial<Record<EnvName, string>> = { TABLE_NAME: table.tableName };
  /** The functions that publish outbound facts (shared/domain/outbound-events.ts) on the bus. */
  const publishes: Partial<Record<EnvName, string>> = { EVENT_BUS_NAME: bus.eventBusName };
  const paymentWindowSeconds = String(config.paymentWindowDays * 86_400);
  /** The functions that derive what an order's money owes. */
  const derives: Partial<Record<EnvName, string>> = { CREDIT_FREE_ORDERS: String(config.creditFreeOrders) };
  const environments: Record<FunctionName, Partial<Record<EnvName, string>>> = {
    'webhook-intake': {
      EVENT_BUS_NAME: bus.eventBusName,
      WEBHOOK_SECRET_ARN: webhookSecret.secretArn,
      SECRETS_MAX_AGE_SECONDS: String(SECRETS_MAX_AGE_SECONDS),
      CREDIT_CATALOG: catalogEnvValue(config.creditCatalog, formatCredit),
    },
    // STATE_MACHINE_ARN is added below, once the state machine exists.
    dispatch: { ...tableEnv, ...publishes, ...derives },
    'create-customer': {
      ...tableEnv,
      ...yay,
      NAMING_KEY_SECRET_ARN: namingKeySecret.secretArn,
      PASSWORD_KEY_SECRET_ARN: passwordKeySecret.secretArn,
      // Only here: no other step picks a store front.
      YAY_STORE_FRONTS: JSON.stringify(configuredStoreFronts(config).stores),
    },
    'record-customer': { ...tableEnv, ...publishes },
    'await-payment': { ...tableEnv },
    'transfer-credit': { ...tableEnv, ...yay, ...derives },
    'reconcile-transfer': {
      ...tableEnv,
      ...yay,
      RECONCILE_BY_BALANCE_UP_TO: String(config.reconcileByBalanceUpToMillis),
    },
    'record-outcome': { ...tableEnv, ...publishes, ...derives },
    sweep: { ...tableEnv, ...yay, ...publishes, ...derives, PAYMENT_WINDOW_SECONDS: paymentWindowSeconds },
    'daily-reconciliation': { ...tableEnv, ...yay },
    // The e-mail variables are BuyerEmail's, with provisioning:emailSender; without, e-mail is off.
    notify: {
      ...tableEnv,
      PASSWORD_KEY_SECRET_ARN: passwordKeySecret.secretArn,
      SECRETS_MAX_AGE_SECONDS: String(SECRETS_MAX_AGE_SECONDS),
    },
  };
  return environments;
}
