import { ConfigInvalid } from './errors';

/**
 * Environment variable names: the contract between infra (which sets them on each Lambda), local mode
 * (which sets them on the process) and the handlers (which read them once, at import).
 */
export const EnvNames = {
  TABLE_NAME: 'TABLE_NAME',
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  STATE_MACHINE_ARN: 'STATE_MACHINE_ARN',
  /** Secret JSON `{"reseller","user","password"}` */
  YAY_SECRET_ARN: 'YAY_SECRET_ARN',
  /** Secret JSON `{"stripe":["whsec_…"],"shopify":["…"],"woocommerce":["…"]}`: several per provider during rotation */
  WEBHOOK_SECRET_ARN: 'WEBHOOK_SECRET_ARN',
  /** Secret JSON `{"key":"…"}`: the HMAC key that derives Yay customer names */
  NAMING_KEY_SECRET_ARN: 'NAMING_KEY_SECRET_ARN',
  YAY_API_BASE_URL: 'YAY_API_BASE_URL',
  YAY_STORE_FRONT: 'YAY_STORE_FRONT',
  /**
   * JSON `{"<store id>":"<store front uuid>"}` (store id as the order key carries it): the stores whose new
   * customers go under a store front of their own; every other store's go under `YAY_STORE_FRONT`.
   */
  YAY_STORE_FRONTS: 'YAY_STORE_FRONTS',
  PAYMENT_WINDOW_SECONDS: 'PAYMENT_WINDOW_SECONDS',
  /**
   * Seconds an order must have been left untouched before the sweep acts on it (a dispatch may still be
   * mid-way). Default 300; 0 is allowed. One run may override it with `minAgeSeconds` in its input.
   */
  SWEEP_MIN_AGE_SECONDS: 'SWEEP_MIN_AGE_SECONDS',
  /** JSON `{"SKU":{"GBP":"10.000"}}` */
  CREDIT_CATALOG: 'CREDIT_CATALOG',
  /** Seconds a secret value is cached before it is read again (rotation without deploy). */
  SECRETS_MAX_AGE_SECONDS: 'SECRETS_MAX_AGE_SECONDS',
  /** Timeout of one Yay HTTP call, milliseconds. */
  YAY_TIMEOUT_MS: 'YAY_TIMEOUT_MS',
  /**
   * Which path reads one customer's balance (`yay:customerBalancePath`): `auto` (default: every candidate in order)
   * or one candidate's name (shared/yay/settings.ts). Set only when not the default, as are the next three.
   */
  YAY_CUSTOMER_BALANCE_PATH: 'YAY_CUSTOMER_BALANCE_PATH',
  /** Which path reads one customer's balance history (`yay:balanceHistoryPath`): `auto`, a candidate, or `none`. */
  YAY_BALANCE_HISTORY_PATH: 'YAY_BALANCE_HISTORY_PATH',
  /** How credit moves (`yay:creditAllocation`): `put-balance` (default) or `allocate`. */
  YAY_CREDIT_ALLOCATION: 'YAY_CREDIT_ALLOCATION',
  /** The `net` the allocation command sends (`yay:creditAllocationNet`); only with `allocate`. */
  YAY_CREDIT_ALLOCATION_NET: 'YAY_CREDIT_ALLOCATION_NET',
  /** Secret JSON `{"key":"…"}` (≥ 32 characters): seals the store password between create-customer and the welcome. */
  PASSWORD_KEY_SECRET_ARN: 'PASSWORD_KEY_SECRET_ARN',
  /**
   * The buyer e-mails' From, as SES takes it (`noreply@shop.example` or `Shop <noreply@shop.example>`), of an
   * identity verified in SES. Empty or unset: e-mail is off (events still go out).
   */
  EMAIL_SENDER: 'EMAIL_SENDER',
  /** The SES configuration set every e-mail is sent with (its SEND events tell notify what SES accepted). */
  EMAIL_CONFIGURATION_SET: 'EMAIL_CONFIGURATION_SET',
  /** JSON `{"welcome":"<SES template name>","receipt":"<SES template name>"}`. */
  EMAIL_TEMPLATES: 'EMAIL_TEMPLATES',
  /** The store sign-in address the e-mails give a buyer whose store has none of its own (`yay:storeLoginUrl`). */
  STORE_LOGIN_URL: 'STORE_LOGIN_URL',
  /** JSON `{"<store id>":"<https URL>"}`: the stores with a sign-in address of their own. */
  STORE_LOGIN_URLS: 'STORE_LOGIN_URLS',
  /**
   * Seconds an e-mail claimed by an attempt that never finished is left before it is tried again (its SES event
   * may still be on the way). Default 600; 0 is allowed. One run may override it with `minAgeSeconds`.
   */
  EMAIL_RETRY_MIN_AGE_SECONDS: 'EMAIL_RETRY_MIN_AGE_SECONDS',
  /**
   * `true`: a payment of 0 (a free trial's first invoice, a 100% coupon) owes the catalog credit like any other;
   * `false` (default): it owes nothing (`provisioning:creditFreeOrders`).
   */
  CREDIT_FREE_ORDERS: 'CREDIT_FREE_ORDERS',
  /**
   * Thousandths: the largest transfer whose unknown outcome reconciliation may decide from the customer's balance
   * alone when Yay's balance history does not answer; above it, a person decides (`provisioning:reconcileByBalanceUpTo`).
   */
  RECONCILE_BY_BALANCE_UP_TO: 'RECONCILE_BY_BALANCE_UP_TO',
} as const;

export type EnvName = keyof typeof EnvNames;

/** Reads a required variable; throws {@link ConfigInvalid} naming it when missing or empty. */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigInvalid(`environment variable ${name} is required but not set`);
  }
  return value;
}

/** Reads an optional variable, or the default when unset. */
export function optionalEnv(name: EnvName, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  return value === undefined || value.trim() === '' ? fallback : value;
}

/** Reads a `true` / `false` variable, or the default when unset; throws naming it when it is anything else. */
export function flagEnv(name: EnvName, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new ConfigInvalid(`environment variable ${name} must be "true" or "false", got "${raw}"`);
}

/** Reads a positive (or, with `allowZero`, non-negative) integer variable; throws naming it when malformed. */
export function intEnv(
  name: EnvName,
  fallback: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: { allowZero?: boolean } = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (fallback === undefined)
      throw new ConfigInvalid(`environment variable ${name} is required but not set`);
    return fallback;
  }
  const value = Number(raw);
  const least = options.allowZero ? 0 : 1;
  if (!Number.isSafeInteger(value) || value < least) {
    const what = options.allowZero ? 'a non-negative integer' : 'a positive integer';
    throw new ConfigInvalid(`environment variable ${name} must be ${what}, got "${raw}"`);
  }
  return value;
}
