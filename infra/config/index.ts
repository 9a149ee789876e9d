import type * as z from 'zod';
import { parseYaySettings, YaySettingContextKeys, type YaySettings } from '../../shared/yay/settings';
import { type CreditCatalog, CreditCatalogSchema } from './catalog';
import { ContextKeys } from './context-keys';
import { optionalFlag, readKey } from './context-value';
import {
  AlarmEmailSchema,
  EgressAzsSchema,
  LogRetentionDaysSchema,
  PartnerEventBusNameSchema,
  PaymentWindowDaysSchema,
  ReconcileByBalanceUpToSchema,
  ResellerBalanceFloorSchema,
  SecretArnSchema,
  YayApiBaseUrlSchema,
  YayStoreFrontSchema,
} from './deployment';
import {
  checkLoginUrlsFit,
  EmailConfigurationSetSchema,
  type EmailSender,
  EmailSenderSchema,
  requireLoginUrl,
  StoreLoginUrlSchema,
} from './email';
import { type Stores, StoresSchema } from './stores';

export { type CreditCatalog, catalogEnvValue } from './catalog';
export { ContextKeys, DEFAULT_PAYMENT_WINDOW_DAYS, DEFAULT_RECONCILE_BY_BALANCE_UP_TO } from './context-keys';
export type { EmailSender } from './email';
export { configuredLoginUrls, configuredStoreFronts, type StoreSettings } from './stores';

/** The validated, typed deploy-time configuration. */
export interface InfraConfig {
  readonly yayApiBaseUrl: string;
  readonly yayStoreFront: string;
  /** Store id → its own settings (`provisioning:stores`); empty when every store takes the defaults. */
  readonly stores: Stores;
  readonly paymentWindowDays: number;
  readonly alarmEmail: string | undefined;
  /** SKU → currency → thousandths of a pound. */
  readonly creditCatalog: CreditCatalog;
  readonly yaySecretArn: string | undefined;
  readonly webhookSecretArn: string | undefined;
  readonly namingKeySecretArn: string | undefined;
  readonly passwordKeySecretArn: string | undefined;
  readonly partnerEventBusName: string | undefined;
  /** Thousandths of a pound. */
  readonly resellerBalanceFloorMillis: number;
  /** A payment of 0 owes the catalog credit too. */
  readonly creditFreeOrders: boolean;
  /** Thousandths: the largest transfer reconciliation may decide from balances alone. */
  readonly reconcileByBalanceUpToMillis: number;
  readonly logRetentionDays: number;
  /** True: the Yay-calling Lambdas egress through a NAT gateway with a fixed Elastic IP. */
  readonly staticEgressIp: boolean;
  /** NAT gateways (and Elastic IPs) when {@link staticEgressIp} is on: 1 (default) or 2. */
  readonly egressAzs: number;
  /** The buyer e-mails' sender; undefined while e-mail is off. */
  readonly emailSender: EmailSender | undefined;
  /** An existing SES configuration set to send with; undefined: the stack creates its own. */
  readonly emailConfigurationSet: string | undefined;
  /** The default store sign-in address of the e-mails; always set when {@link emailSender} is. */
  readonly storeLoginUrl: string | undefined;
  /** The Yay balance paths and credit allocation (`yay:customerBalancePath` & co.); defaults when unset. */
  readonly yaySettings: YaySettings;
}

/** Anything that can answer a context lookup: an App, a Stack, or a test's plain map. */
export type ContextSource = (key: string) => unknown;

/**
 * Reads and validates every context key, each with its own schema (in the order below, so the first key refused is
 * always the same), then the rules that span keys. Throws ConfigInvalid (shared/errors.ts) whose message starts with
 * `context <key>` and shows the offending value, e.g. `context yay:storeFront must be a UUID, got "abc"`.
 */
export function loadInfraConfig(get: ContextSource): InfraConfig {
  const K = ContextKeys;
  const read = <T>(key: string, schema: z.ZodType<T>): T => readKey(key, schema, get(key));

  const yayApiBaseUrl = read(K.yayApiBaseUrl, YayApiBaseUrlSchema);
  const yayStoreFront = read(K.yayStoreFront, YayStoreFrontSchema);
  const stores = read(K.stores, StoresSchema);
  const paymentWindowDays = read(K.paymentWindowDays, PaymentWindowDaysSchema);
  const alarmEmail = read(K.alarmEmail, AlarmEmailSchema);
  const creditCatalog = read(K.creditCatalog, CreditCatalogSchema);
  const partnerEventBusName = read(K.partnerEventBusName, PartnerEventBusNameSchema);
  const resellerBalanceFloorMillis = read(K.resellerBalanceFloor, ResellerBalanceFloorSchema);
  const creditFreeOrders = read(K.creditFreeOrders, optionalFlag);
  const reconcileByBalanceUpToMillis = read(K.reconcileByBalanceUpTo, ReconcileByBalanceUpToSchema);
  const logRetentionDays = read(K.logRetentionDays, LogRetentionDaysSchema);
  const staticEgressIp = read(K.staticEgressIp, optionalFlag);
  const egressAzs = read(K.egressAzs, EgressAzsSchema);
  const emailSender = read(K.emailSender, EmailSenderSchema);
  const emailConfigurationSet = read(K.emailConfigurationSet, EmailConfigurationSetSchema);
  const storeLoginUrl = read(K.storeLoginUrl, StoreLoginUrlSchema);
  requireLoginUrl(storeLoginUrl, emailSender, get(K.storeLoginUrl));
  checkLoginUrlsFit(stores, storeLoginUrl);
  // The Yay settings read four keys together (allocate needs its net), as shared/yay/settings.ts reads them.
  const yaySettings = parseYaySettings(
    {
      customerBalance: get(K.yayCustomerBalancePath),
      balanceHistory: get(K.yayBalanceHistoryPath),
      creditAllocation: get(K.yayCreditAllocation),
      creditAllocationNet: get(K.yayCreditAllocationNet),
    },
    (field) => `context ${YaySettingContextKeys[field]}`,
  );

  return Object.freeze({
    yayApiBaseUrl,
    yayStoreFront,
    stores,
    paymentWindowDays,
    alarmEmail,
    creditCatalog,
    yaySecretArn: read(K.yaySecretArn, SecretArnSchema),
    webhookSecretArn: read(K.webhookSecretArn, SecretArnSchema),
    namingKeySecretArn: read(K.namingKeySecretArn, SecretArnSchema),
    passwordKeySecretArn: read(K.passwordKeySecretArn, SecretArnSchema),
    partnerEventBusName,
    resellerBalanceFloorMillis,
    creditFreeOrders,
    reconcileByBalanceUpToMillis,
    logRetentionDays,
    staticEgressIp,
    egressAzs,
    emailSender,
    emailConfigurationSet,
    storeLoginUrl,
    yaySettings,
  });
}
