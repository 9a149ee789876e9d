import { type EnvName, EnvNames } from '../config';
import { ConfigInvalid } from '../errors';

/**
 * The candidates for reading one customer's balance, in the order `auto` tries them. The vendor's reference
 * documents the command ("the balance for the specified sub reseller", its uuid in the URL) but no stored copy
 * shows its path, so the first two are guesses by the API's REST pattern; the last two are older guesses that
 * stay as fallbacks. What each one sends is in {@link CustomerBalanceSources}; shared/yay/README.md says what is
 * known and what is guessed.
 */
export const CUSTOMER_BALANCE_SOURCES = [
  'reseller-balance',
  'reseller-uuid-balance',
  'customer-record',
  'auth-for',
] as const;

/** One way of reading one customer's balance; see {@link CustomerBalanceSources}. */
export type CustomerBalanceSource = (typeof CUSTOMER_BALANCE_SOURCES)[number];

/** What each customer-balance candidate sends, for people (`ops yay-check`, errors, shared/yay/README.md). */
export const CustomerBalanceSources: Readonly<Record<CustomerBalanceSource, string>> = {
  'reseller-balance': 'GET /account/reseller-balance/{uuid}',
  'reseller-uuid-balance': 'GET /account/reseller/{uuid}/balance',
  'customer-record': 'a balance field on GET /account/reseller/{uuid}',
  'auth-for': 'GET /account/balance with X-Auth-For: <customer name>',
};

/**
 * The candidates for one customer's balance history ("the historical balance for a sub reseller", its uuid in
 * the URL, an array), in the order `auto` tries them: one per guessed family of the balance command.
 */
export const BALANCE_HISTORY_SOURCES = ['reseller-balance-history', 'reseller-uuid-balance-history'] as const;

/** One way of reading one customer's balance history; see {@link BalanceHistorySources}. */
export type BalanceHistorySource = (typeof BALANCE_HISTORY_SOURCES)[number];

export const BalanceHistorySources: Readonly<Record<BalanceHistorySource, string>> = {
  'reseller-balance-history': 'GET /account/reseller-balance/{uuid}/history',
  'reseller-uuid-balance-history': 'GET /account/reseller/{uuid}/balance/history',
};

/**
 * How credit is moved to a customer. `put-balance`: the beginners' guide's example, `PUT /account/reseller/{uuid}`
 * with `{"balance":"10.000"}` (the default). `allocate`: the reference's own allocation command ("Allocates
 * credit from the master reseller to the target reseller", `uuid` and a required string `net` whose description
 * the stored copy cuts off); its path, its method and where its amount goes are guesses, and `net` is sent exactly
 * as configured because its meaning is unknown. The call itself is built in one place: `creditAllocationCall`.
 */
export type CreditAllocation =
  | { readonly command: 'put-balance' }
  | { readonly command: 'allocate'; readonly net: string };

export const CREDIT_ALLOCATION_COMMANDS = ['put-balance', 'allocate'] as const;

/** The choices the unknowns of the Yay API leave to configuration; {@link DEFAULT_YAY_SETTINGS} unless set. */
export interface YaySettings {
  /** `auto`: every candidate in {@link CUSTOMER_BALANCE_SOURCES} order; a candidate's name: only that one. */
  readonly customerBalance: 'auto' | CustomerBalanceSource;
  /** `auto`: every candidate in order; a name: only that one; `none`: never read (reconcile compares balances). */
  readonly balanceHistory: 'auto' | 'none' | BalanceHistorySource;
  readonly creditAllocation: CreditAllocation;
}

export const DEFAULT_YAY_SETTINGS: YaySettings = Object.freeze({
  customerBalance: 'auto',
  balanceHistory: 'auto',
  creditAllocation: Object.freeze({ command: 'put-balance' }),
});

/** The settings' raw values, by field, as a context key or an environment variable gives them. */
export interface YaySettingsInput {
  customerBalance?: unknown;
  balanceHistory?: unknown;
  creditAllocation?: unknown;
  creditAllocationNet?: unknown;
}

/** A field of {@link YaySettingsInput}: what a configuration error names through `describe`. */
export type YaySettingField = keyof YaySettingsInput;

/** `net` is sent as given; visible, URL-safe text only, since it travels in a query string. */
const NET_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function unset(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function oneOf<T extends string>(raw: unknown, allowed: readonly T[], fallback: T, where: string): T {
  if (unset(raw)) return fallback;
  const value = typeof raw === 'string' ? raw.trim() : raw;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigInvalid(`${where} must be one of ${allowed.join(', ')}, got ${show(raw)}`);
  }
  return value as T;
}

/**
 * Reads the settings, the same way for CDK context (infra/config/) and for a Lambda's environment
 * ({@link yaySettingsFromEnv}); `describe` names where a field came from (`context yay:creditAllocation`,
 * `environment variable YAY_CREDIT_ALLOCATION`) in the ConfigInvalid a bad value throws.
 */
export function parseYaySettings(
  input: YaySettingsInput,
  describe: (field: YaySettingField) => string,
): YaySettings {
  const customerBalance = oneOf(
    input.customerBalance,
    ['auto', ...CUSTOMER_BALANCE_SOURCES],
    'auto',
    describe('customerBalance'),
  );
  const balanceHistory = oneOf(
    input.balanceHistory,
    ['auto', 'none', ...BALANCE_HISTORY_SOURCES],
    'auto',
    describe('balanceHistory'),
  );
  const command = oneOf(
    input.creditAllocation,
    CREDIT_ALLOCATION_COMMANDS,
    'put-balance',
    describe('creditAllocation'),
  );
  const netRaw = input.creditAllocationNet;
  let creditAllocation: CreditAllocation;
  if (command === 'allocate') {
    // Required, with no default: the reference cuts its description off, so any default would be a guess.
    const net = typeof netRaw === 'string' ? netRaw.trim() : netRaw;
    if (typeof net !== 'string' || !NET_PATTERN.test(net)) {
      throw new ConfigInvalid(
        `${describe('creditAllocationNet')} is required with ${describe('creditAllocation')}=allocate ` +
          `(the value sent as the allocation command's "net", 1-32 letters, digits, ".", "_" or "-"), got ${show(netRaw)}`,
      );
    }
    creditAllocation = Object.freeze({ command, net });
  } else {
    if (!unset(netRaw)) {
      throw new ConfigInvalid(
        `${describe('creditAllocationNet')} is only used with ${describe('creditAllocation')}=allocate, got ${show(netRaw)}`,
      );
    }
    creditAllocation = DEFAULT_YAY_SETTINGS.creditAllocation;
  }
  return Object.freeze({ customerBalance, balanceHistory, creditAllocation });
}

/**
 * The CDK context key of each setting (infra/config/ `ContextKeys` takes them from here, so `ops yay-check`
 * can name them without importing infra).
 */
export const YaySettingContextKeys = {
  customerBalance: 'yay:customerBalancePath',
  balanceHistory: 'yay:balanceHistoryPath',
  creditAllocation: 'yay:creditAllocation',
  creditAllocationNet: 'yay:creditAllocationNet',
} as const satisfies Record<YaySettingField, string>;

/** The environment variable of each setting. */
export const YaySettingEnv = {
  customerBalance: EnvNames.YAY_CUSTOMER_BALANCE_PATH,
  balanceHistory: EnvNames.YAY_BALANCE_HISTORY_PATH,
  creditAllocation: EnvNames.YAY_CREDIT_ALLOCATION,
  creditAllocationNet: EnvNames.YAY_CREDIT_ALLOCATION_NET,
} as const satisfies Record<YaySettingField, EnvName>;

/** Reads the settings from a Lambda's (or ops') environment; unset variables take the defaults. */
export function yaySettingsFromEnv(env: Readonly<Record<string, string | undefined>>): YaySettings {
  return parseYaySettings(
    {
      customerBalance: env[YaySettingEnv.customerBalance],
      balanceHistory: env[YaySettingEnv.balanceHistory],
      creditAllocation: env[YaySettingEnv.creditAllocation],
      creditAllocationNet: env[YaySettingEnv.creditAllocationNet],
    },
    (field) => `environment variable ${YaySettingEnv[field]}`,
  );
}

/**
 * The settings as environment variables, leaving out every one at its default: a deployment that sets nothing
 * gives its functions no new variable (and spends none of Lambda's 4 KB of environment).
 */
export function yaySettingsEnv(
  settings: YaySettings,
): Partial<Record<(typeof YaySettingEnv)[YaySettingField], string>> {
  const env: Partial<Record<(typeof YaySettingEnv)[YaySettingField], string>> = {};
  if (settings.customerBalance !== DEFAULT_YAY_SETTINGS.customerBalance) {
    env[YaySettingEnv.customerBalance] = settings.customerBalance;
  }
  if (settings.balanceHistory !== DEFAULT_YAY_SETTINGS.balanceHistory) {
    env[YaySettingEnv.balanceHistory] = settings.balanceHistory;
  }
  if (settings.creditAllocation.command === 'allocate') {
    env[YaySettingEnv.creditAllocation] = settings.creditAllocation.command;
    env[YaySettingEnv.creditAllocationNet] = settings.creditAllocation.net;
  }
  return env;
}

/** Only the settings variables of an environment (a function's, as a template gives it), those that are set. */
export function pickYaySettingsEnv(
  env: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of Object.values(YaySettingEnv)) {
    const value = env?.[name];
    if (typeof value === 'string' && value !== '') picked[name] = value;
  }
  return picked;
}
