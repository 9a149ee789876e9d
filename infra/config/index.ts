import * as z from 'zod';
import { parseCredit } from '../../shared/domain/credit';
import { ConfigInvalid } from '../../shared/errors';
import { type ConfiguredStoreFronts, StoreFrontContextKeys, UUID_PATTERN } from '../../shared/store-fronts';
import { parseYaySettings, YaySettingContextKeys, type YaySettings } from '../../shared/yay/settings';

/**
 * CDK context keys: the deploy-time configuration, validated once at synth so a typo fails the synth with
 * a message naming the key instead of surfacing as a broken Lambda at 3 a.m. Defaults for the required
 * ones live in cdk.json; override with `npx cdk synth -c key=value`.
 */
export const ContextKeys = {
  /** Yay API base URL (https). */
  yayApiBaseUrl: 'yay:apiBaseUrl',
  /** UUID of the reseller's Yay store front: the default for every store not given its own in `provisioning:stores`. */
  yayStoreFront: StoreFrontContextKeys.default,
  /**
   * Optional: `{"<store id>": {"storeFront": "<uuid>"}}`, the stores with settings of their own. The store id is
   * the order key's: a Stripe Connect account id (or `default`), a Shopify shop domain, a WooCommerce site host
   * (both lower-case). A store not listed, or listed without `storeFront`, gets `yay:storeFront`.
   */
  stores: StoreFrontContextKeys.stores,
  /**
   * Days an unpaid order waits for its payment before it expires (1–365: a Standard execution lives ≤ 1 year).
   * Default {@link DEFAULT_PAYMENT_WINDOW_DAYS}.
   */
  paymentWindowDays: 'provisioning:paymentWindowDays',
  /** E-mail subscribed to the alarm topic; empty for none. */
  alarmEmail: 'provisioning:alarmEmail',
  /** `{"SKU":{"GBP":"10.000"}}`: credit per SKU, for orders that carry no explicit amount. */
  creditCatalog: 'provisioning:creditCatalog',
  /** Optional: import the Yay credentials secret instead of creating it. */
  yaySecretArn: 'provisioning:yaySecretArn',
  /** Optional: import the webhook signing secrets instead of creating them. */
  webhookSecretArn: 'provisioning:webhookSecretArn',
  /** Optional: import the naming key secret instead of creating it. */
  namingKeySecretArn: 'provisioning:namingKeySecretArn',
  /** Optional: import the password key secret instead of creating it. */
  passwordKeySecretArn: 'provisioning:passwordKeySecretArn',
  /** Optional: partner event bus name (Stripe/Shopify native EventBridge delivery), e.g. `aws.partner/stripe.com/ed_…`. */
  partnerEventBusName: 'provisioning:partnerEventBusName',
  /** Optional: GBP headroom the reseller balance must keep above the credit still owed before it alarms (default 0). */
  resellerBalanceFloor: 'provisioning:resellerBalanceFloor',
  /** Optional: CloudWatch Logs retention in days (default 90). */
  logRetentionDays: 'provisioning:logRetentionDays',
  /**
   * Optional: `true` credits a payment of 0 (a free trial's first invoice, a 100% coupon) like any paid order;
   * default `false`: a free order owes no credit.
   */
  creditFreeOrders: 'provisioning:creditFreeOrders',
  /**
   * Optional: the largest transfer (GBP, three decimals; default {@link DEFAULT_RECONCILE_BY_BALANCE_UP_TO}) whose
   * unknown outcome may be decided from the customer's balance alone when Yay's balance history does not answer;
   * above it a person decides (a customer who spent exactly the amount could otherwise be credited twice).
   */
  reconcileByBalanceUpTo: 'provisioning:reconcileByBalanceUpTo',
  /**
   * Optional: `true` puts the Yay-calling Lambdas in a VPC whose NAT gateway has an Elastic IP, so Yay's
   * IP allow-list can name it (default `false`: no VPC, Lambda's egress address is not fixed).
   */
  staticEgressIp: 'provisioning:staticEgressIp',
  /** Optional, with staticEgressIp: NAT gateways (one per AZ, each its own address), 1 or 2 (default 1). */
  egressAzs: 'provisioning:egressAzs',
  /**
   * Optional: the buyer e-mails' From, `noreply@shop.example` or `Shop Name <noreply@shop.example>`, of an address
   * or domain verified in SES. Empty or absent: e-mail is off (no SES resources; the events still go out).
   */
  emailSender: 'provisioning:emailSender',
  /**
   * Optional: the name of an existing SES configuration set to send with (the stack adds its event destination).
   * Absent: the stack creates its own.
   */
  emailConfigurationSet: 'provisioning:emailConfigurationSet',
  /**
   * The store's sign-in address (https) the welcome e-mail gives buyers whose store has no `loginUrl` of its own
   * in `provisioning:stores`. Required with `provisioning:emailSender`, optional otherwise.
   */
  storeLoginUrl: 'yay:storeLoginUrl',
  /**
   * Optional: which path reads one customer's balance, `auto` (default: each candidate in order until one answers)
   * or one candidate: `reseller-balance`, `reseller-uuid-balance`, `customer-record`, `auth-for`
   * (shared/yay/README.md). Pin the one `ops yay-check` reports, to skip the others.
   */
  yayCustomerBalancePath: YaySettingContextKeys.customerBalance,
  /**
   * Optional: which path reads one customer's balance history, `auto` (default), `reseller-balance-history`,
   * `reseller-uuid-balance-history`, or `none` (reconcile compares balances only).
   */
  yayBalanceHistoryPath: YaySettingContextKeys.balanceHistory,
  /**
   * Optional: how credit moves, `put-balance` (default: `PUT /account/reseller/{uuid}` with `{"balance":"10.000"}`)
   * or `allocate` (the reference's allocation command; needs `yay:creditAllocationNet`).
   */
  yayCreditAllocation: YaySettingContextKeys.creditAllocation,
  /** With `yay:creditAllocation=allocate`: the `net` it sends, exactly (its meaning is not published). */
  yayCreditAllocationNet: YaySettingContextKeys.creditAllocationNet,
} as const;

/**
 * Days an unpaid order waits for its payment by default. SEPA Direct Debit can take up to 14 business days to
 * confirm, which is up to 20 calendar days, more over bank holidays; Bacs and ACH are faster. Four weeks covers
 * them with room, and a payment confirmed after the window is still credited (a new execution of the order).
 */
export const DEFAULT_PAYMENT_WINDOW_DAYS = 28;

/**
 * The largest transfer decided from the customer's balance alone when Yay's history does not answer: a typical
 * top-up. What it risks is written in the Decisions (docs/decisions.md, reconciliation).
 */
export const DEFAULT_RECONCILE_BY_BALANCE_UP_TO = '20.000';

/**
 * One store's entry of `provisioning:stores`. Every field is optional: what an entry leaves out, the store
 * takes from the deployment's default, so a later per-store setting can be given without repeating the rest.
 */
export interface StoreSettings {
  /** The Yay store front the store's new customers go under. @default `yay:storeFront` */
  readonly storeFront?: string;
  /** The sign-in address (https) the store's buyers are e-mailed. @default `yay:storeLoginUrl` */
  readonly loginUrl?: string;
}

/** The buyer e-mails' sender, from `provisioning:emailSender`. */
export interface EmailSender {
  /** The bare address, `noreply@shop.example`: what SES's `ses:FromAddress` condition key compares. */
  readonly address: string;
  /** Its domain, `shop.example`: the reseller may have verified the domain rather than the address. */
  readonly domain: string;
  /**
   * The From as SES takes it: the address, or `Name <address>` with the name quoted when it holds specials and
   * MIME-encoded (RFC 2047) when it is not ASCII, as SES requires.
   */
  readonly from: string;
}

/** The validated, typed deploy-time configuration. */
export interface InfraConfig {
  readonly yayApiBaseUrl: string;
  readonly yayStoreFront: string;
  /** Store id → its own settings (`provisioning:stores`); empty when every store takes the defaults. */
  readonly stores: Readonly<Record<string, StoreSettings>>;
  readonly paymentWindowDays: number;
  readonly alarmEmail: string | undefined;
  /** SKU → currency → thousandths of a pound. */
  readonly creditCatalog: Readonly<Record<string, Readonly<Record<string, number>>>>;
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

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function fail(key: string, expectation: string, value: unknown): never {
  throw new ConfigInvalid(`context ${key} ${expectation}, got ${show(value)}`);
}

/** `-c key=value` on the CLI always yields strings; cdk.json yields JSON types. Accept both. */
function asNumber(key: string, raw: unknown, expectation: string): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(key, expectation, raw);
  return value;
}

function optionalString(raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string' && raw.trim() === '') return undefined;
  return typeof raw === 'string' ? raw.trim() : undefined;
}

function optionalSecretArn(key: string, raw: unknown): string | undefined {
  if (raw !== undefined && raw !== null && typeof raw !== 'string') fail(key, 'must be a secret ARN', raw);
  const value = optionalString(raw);
  if (value !== undefined && !SECRET_ARN.test(value)) {
    fail(key, 'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:…)', raw);
  }
  return value;
}

const CatalogSchema = z.record(z.string().min(1), z.record(z.string().regex(/^[A-Z]{3}$/), z.unknown()));

function parseCatalog(key: string, raw: unknown): InfraConfig['creditCatalog'] {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      fail(key, 'must be a JSON object {"SKU":{"GBP":"10.000"}}', raw);
    }
  }
  const parsed = CatalogSchema.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') ?? '';
    fail(
      `${key}${where ? `.${where}` : ''}`,
      'must map SKU to {"<ISO currency>": "<amount>"}, e.g. {"CREDIT-10":{"GBP":"10.000"}}',
      raw,
    );
  }
  const catalog: Record<string, Record<string, number>> = {};
  for (const [sku, prices] of Object.entries(parsed.data)) {
    const priced: Record<string, number> = {};
    catalog[sku] = priced;
    for (const [currency, amount] of Object.entries(prices)) {
      try {
        priced[currency] = parseCredit(amount);
      } catch (error) {
        fail(
          `${key}.${sku}.${currency}`,
          `must be a credit amount with at most three decimals (${(error as Error).message})`,
          amount,
        );
      }
    }
  }
  return catalog;
}

const HttpsUrl = z.url({ protocol: /^https$/ });
/**
 * One store's entry, strict: a misspelt field (`storefront`) is refused by name instead of silently leaving
 * the store on the default store front. A new per-store field is one line here and one in {@link STORE_FIELDS}.
 */
const StoreSettingsSchema = z.strictObject({
  storeFront: z.string().regex(UUID_PATTERN).optional(),
  loginUrl: HttpsUrl.optional(),
});
/** What each field of a store's entry must be, for the error message. */
const STORE_FIELDS: Record<keyof z.infer<typeof StoreSettingsSchema>, string> = {
  storeFront: 'must be a UUID',
  loginUrl: 'must be an https URL',
};
const STORE_ENTRY_SHAPE = '{"storeFront":"<uuid>","loginUrl":"<https URL>"}';
const STORES_SHAPE = `must be a JSON object {"<store id>":${STORE_ENTRY_SHAPE}}`;
/**
 * Lambda allows 4 KB for all of a function's variables together. create-customer gets the stores' store fronts as
 * one variable (about 40 stores fit), notify the stores' sign-in addresses as another, beside the default one:
 * each function's other variables take under 1 KB.
 */
const MAX_STORE_MAP_ENV_BYTES = 3_000;

function parseStores(key: string, raw: unknown): InfraConfig['stores'] {
  if (raw === undefined || raw === null || raw === '') return Object.freeze({});
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      fail(key, STORES_SHAPE, raw);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, STORES_SHAPE, raw);
  const stores: Record<string, StoreSettings> = {};
  for (const [store, entry] of Object.entries(value)) {
    const at = `${key}.${store}`;
    if (store === '' || /\s/.test(store)) fail(key, 'has a store id that is empty or contains spaces', store);
    // Shopify domains and WooCommerce hosts are lower-cased into the order key: this entry would never match.
    if (store.includes('.') && store !== store.toLowerCase()) {
      fail(at, `must be written lower-case, as order keys carry it (${store.toLowerCase()})`, store);
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      fail(at, `must be an object ${STORE_ENTRY_SHAPE}`, entry);
    }
    const parsed = StoreSettingsSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const fields = entry as Record<string, unknown>;
      if (issue?.code === 'unrecognized_keys') {
        const field = String(issue.keys[0]);
        fail(
          `${at}.${field}`,
          `is not a field of a store (known: ${Object.keys(STORE_FIELDS).join(', ')})`,
          fields[field],
        );
      }
      const field = String(issue?.path[0]) as keyof typeof STORE_FIELDS;
      fail(`${at}.${field}`, STORE_FIELDS[field] ?? 'is invalid', fields[field]);
    }
    stores[store] = Object.freeze(
      Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)),
    ) as StoreSettings;
  }
  const envBytes = Buffer.byteLength(JSON.stringify(storeFrontsOf(stores)));
  if (envBytes > MAX_STORE_MAP_ENV_BYTES) {
    fail(
      key,
      `gives create-customer ${envBytes} bytes of store fronts, more than the ${MAX_STORE_MAP_ENV_BYTES} that fit in Lambda's 4 KB of environment`,
      `${Object.keys(stores).length} stores`,
    );
  }
  return Object.freeze(stores);
}

/** Each store's own value of `field`, leaving out the stores that take the default. */
function storeMapOf(stores: InfraConfig['stores'], field: keyof StoreSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [store, settings] of Object.entries(stores)) {
    const value = settings[field];
    if (value !== undefined) out[store] = value;
  }
  return out;
}

function storeFrontsOf(stores: InfraConfig['stores']): Record<string, string> {
  return storeMapOf(stores, 'storeFront');
}

/**
 * The stores' own sign-in addresses, as notify takes them (`STORE_LOGIN_URLS`): stores listed without a
 * `loginUrl` take `yay:storeLoginUrl` and are left out.
 */
export function configuredLoginUrls(config: InfraConfig): Readonly<Record<string, string>> {
  return storeMapOf(config.stores, 'loginUrl');
}

/** SES configuration set names: letters, digits, `_` and `-`, at most 64. */
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** `address` or `Display Name <address>`; the name may be quoted. */
const SENDER_FORMS = /^(?:(?<name>[^<>]*?)\s*<(?<bracketed>[^<>\s]+)>|(?<bare>[^<>\s]+))$/;
const SENDER_SHAPE = 'must be an e-mail address or "Name <address>" (or empty: e-mail off)';
/** RFC 5322 atext and spaces: a display name that needs no quoting. */
const PLAIN_DISPLAY_NAME = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

function parseEmailSender(key: string, raw: unknown): EmailSender | undefined {
  if (raw !== undefined && raw !== null && typeof raw !== 'string') fail(key, SENDER_SHAPE, raw);
  const value = optionalString(raw);
  if (value === undefined) return undefined;
  const match = SENDER_FORMS.exec(value);
  const address = match?.groups?.bracketed ?? match?.groups?.bare;
  if (!address || !z.email().safeParse(address).success) fail(key, SENDER_SHAPE, raw);
  let name = (match?.groups?.name ?? '').trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1);
  // A control character would end the From header early: nothing a shop name needs.
  if (/\p{Cc}/u.test(name)) fail(key, `${SENDER_SHAPE}, with no control characters in the name`, raw);
  return {
    address,
    domain: address.slice(address.lastIndexOf('@') + 1),
    from: name === '' ? address : `${displayName(name)} <${address}>`,
  };
}

/**
 * A display name as a From header carries it: as is when it is plain, quoted when it holds specials (`Shop, Inc.`),
 * MIME encoded-word when it is not ASCII (`Café`), as SES wants a non-ASCII sender name.
 */
function displayName(name: string): string {
  if (PLAIN_DISPLAY_NAME.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}"`;
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
}

function parseConfigurationSet(key: string, raw: unknown): string | undefined {
  const shape = 'must be an SES configuration set name (letters, digits, _ and -, at most 64)';
  if (raw !== undefined && raw !== null && typeof raw !== 'string') fail(key, shape, raw);
  const value = optionalString(raw);
  if (value !== undefined && !CONFIGURATION_SET_NAME.test(value)) fail(key, shape, raw);
  return value;
}

function parseStoreLoginUrl(
  key: string,
  raw: unknown,
  emailSender: EmailSender | undefined,
  senderKey: string,
): string | undefined {
  if (raw !== undefined && raw !== null && typeof raw !== 'string') fail(key, 'must be an https URL', raw);
  const value = optionalString(raw);
  if (value === undefined) {
    if (emailSender) {
      fail(
        key,
        `is required when ${senderKey} is set (the welcome e-mail tells each buyer where to sign in)`,
        raw,
      );
    }
    return undefined;
  }
  if (!HttpsUrl.safeParse(value).success) fail(key, 'must be an https URL', raw);
  return value;
}

/**
 * The default store front and each store's own, as create-customer (`YAY_STORE_FRONTS`) and the `StoreFronts`
 * output take them: stores listed without a `storeFront` take the default and are left out.
 */
export function configuredStoreFronts(config: InfraConfig): ConfiguredStoreFronts {
  return { default: config.yayStoreFront, stores: storeFrontsOf(config.stores) };
}

/** cdk.json gives a JSON boolean, `-c key=true` a string: both, and nothing else, mean a flag. */
const FlagSchema = z.union([z.boolean(), z.enum(['true', 'false']).transform((text) => text === 'true')]);
/**
 * An env-agnostic stack sees two AZs (synth does no lookups), so one or two NAT gateways; numbers come as
 * strings from the CLI.
 */
const EgressAzsSchema = z
  .union([z.int(), z.string().regex(/^\d+$/).transform(Number)])
  .pipe(z.int().min(1).max(2));

function optionalFlag(key: string, raw: unknown): boolean {
  if (raw === undefined || raw === null || raw === '') return false;
  const parsed = FlagSchema.safeParse(raw);
  if (!parsed.success) fail(key, 'must be true or false', raw);
  return parsed.data;
}

/**
 * Reads and validates every context key. Throws {@link ConfigInvalid} whose message starts with
 * `context <key>` and shows the offending value, e.g. `context yay:storeFront must be a UUID, got "abc"`.
 */
export function loadInfraConfig(get: ContextSource): InfraConfig {
  const K = ContextKeys;

  const baseUrl = get(K.yayApiBaseUrl);
  if (typeof baseUrl !== 'string' || !z.url({ protocol: /^https$/ }).safeParse(baseUrl).success) {
    fail(K.yayApiBaseUrl, 'must be an https URL', baseUrl);
  }

  const storeFront = get(K.yayStoreFront);
  if (typeof storeFront !== 'string' || !UUID_PATTERN.test(storeFront))
    fail(K.yayStoreFront, 'must be a UUID', storeFront);
  const stores = parseStores(K.stores, get(K.stores));

  const windowRaw = get(K.paymentWindowDays);
  const paymentWindowDays =
    windowRaw === undefined || windowRaw === null || windowRaw === ''
      ? DEFAULT_PAYMENT_WINDOW_DAYS
      : asNumber(K.paymentWindowDays, windowRaw, 'must be a whole number of days 1–365');
  if (paymentWindowDays < 1 || paymentWindowDays > 365) {
    fail(K.paymentWindowDays, 'must be a whole number of days 1–365', windowRaw);
  }

  const emailRaw = get(K.alarmEmail);
  if (emailRaw !== undefined && emailRaw !== null && typeof emailRaw !== 'string') {
    fail(K.alarmEmail, 'must be an e-mail address or empty', emailRaw);
  }
  const alarmEmail = optionalString(emailRaw);
  if (alarmEmail !== undefined && !z.email().safeParse(alarmEmail).success) {
    fail(K.alarmEmail, 'must be an e-mail address or empty', emailRaw);
  }

  const catalogRaw = get(K.creditCatalog);
  if (catalogRaw === undefined) fail(K.creditCatalog, 'is required', catalogRaw);
  const creditCatalog = parseCatalog(K.creditCatalog, catalogRaw);

  const busRaw = get(K.partnerEventBusName);
  if (busRaw !== undefined && busRaw !== null && typeof busRaw !== 'string') {
    fail(K.partnerEventBusName, 'must be an event bus name', busRaw);
  }
  const partnerEventBusName = optionalString(busRaw);
  if (
    partnerEventBusName !== undefined &&
    !/^aws\.partner\/[.\-_A-Za-z0-9/]{1,240}$/.test(partnerEventBusName)
  ) {
    fail(K.partnerEventBusName, 'must be a partner event bus name (aws.partner/…)', busRaw);
  }

  const floorRaw = get(K.resellerBalanceFloor);
  let resellerBalanceFloorMillis = 0;
  if (floorRaw !== undefined && floorRaw !== null && floorRaw !== '') {
    try {
      resellerBalanceFloorMillis = parseCredit(floorRaw);
    } catch {
      fail(K.resellerBalanceFloor, 'must be a GBP amount with at most three decimals', floorRaw);
    }
  }

  const creditFreeOrders = optionalFlag(K.creditFreeOrders, get(K.creditFreeOrders));
  const reconcileRaw = get(K.reconcileByBalanceUpTo);
  let reconcileByBalanceUpToMillis = parseCredit(DEFAULT_RECONCILE_BY_BALANCE_UP_TO);
  if (reconcileRaw !== undefined && reconcileRaw !== null && reconcileRaw !== '') {
    try {
      reconcileByBalanceUpToMillis = parseCredit(reconcileRaw);
    } catch {
      fail(K.reconcileByBalanceUpTo, 'must be a GBP amount with at most three decimals', reconcileRaw);
    }
  }

  const retentionRaw = get(K.logRetentionDays);
  let logRetentionDays = 90;
  if (retentionRaw !== undefined && retentionRaw !== null && retentionRaw !== '') {
    logRetentionDays = asNumber(
      K.logRetentionDays,
      retentionRaw,
      'must be a CloudWatch Logs retention in days',
    );
    if (!RETENTION_DAYS.includes(logRetentionDays)) {
      fail(K.logRetentionDays, `must be one of ${RETENTION_DAYS.join(', ')}`, retentionRaw);
    }
  }

  const staticEgressIp = optionalFlag(K.staticEgressIp, get(K.staticEgressIp));
  // Validated even while the flag is off, so a typo does not wait for the day the flag is turned on.
  const egressAzsRaw = get(K.egressAzs);
  let egressAzs = 1;
  if (egressAzsRaw !== undefined && egressAzsRaw !== null && egressAzsRaw !== '') {
    const parsed = EgressAzsSchema.safeParse(egressAzsRaw);
    if (!parsed.success)
      fail(K.egressAzs, 'must be 1 or 2 (NAT gateways, one Elastic IP each)', egressAzsRaw);
    egressAzs = parsed.data;
  }

  const emailSender = parseEmailSender(K.emailSender, get(K.emailSender));
  const emailConfigurationSet = parseConfigurationSet(K.emailConfigurationSet, get(K.emailConfigurationSet));
  const storeLoginUrl = parseStoreLoginUrl(K.storeLoginUrl, get(K.storeLoginUrl), emailSender, K.emailSender);
  // notify's two sign-in variables share one budget (checked with e-mail off too: a later switch-on must not fail).
  const loginUrls = storeMapOf(stores, 'loginUrl');
  const loginBytes = Buffer.byteLength(JSON.stringify(loginUrls)) + Buffer.byteLength(storeLoginUrl ?? '');
  if (loginBytes > MAX_STORE_MAP_ENV_BYTES) {
    fail(
      Object.keys(loginUrls).length > 0 ? K.stores : K.storeLoginUrl,
      `gives notify ${loginBytes} bytes of sign-in addresses (with ${K.storeLoginUrl}), more than the ${MAX_STORE_MAP_ENV_BYTES} that fit in Lambda's 4 KB of environment`,
      `${Object.keys(loginUrls).length} stores with a loginUrl`,
    );
  }

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
    yayApiBaseUrl: baseUrl.replace(/\/+$/, ''),
    yayStoreFront: storeFront,
    stores,
    paymentWindowDays,
    alarmEmail,
    creditCatalog,
    yaySecretArn: optionalSecretArn(K.yaySecretArn, get(K.yaySecretArn)),
    webhookSecretArn: optionalSecretArn(K.webhookSecretArn, get(K.webhookSecretArn)),
    namingKeySecretArn: optionalSecretArn(K.namingKeySecretArn, get(K.namingKeySecretArn)),
    passwordKeySecretArn: optionalSecretArn(K.passwordKeySecretArn, get(K.passwordKeySecretArn)),
    partnerEventBusName,
    resellerBalanceFloorMillis,
    creditFreeOrders,
    reconcileByBalanceUpToMillis,
    logRetentionDays,
    staticEgressIp,
    egressAzs,
    emailSender: emailSender && Object.freeze(emailSender),
    emailConfigurationSet,
    storeLoginUrl,
    yaySettings,
  });
}

/**
 * The credit catalog as the Lambdas' `CREDIT_CATALOG` env var takes it (`{"SKU":{"GBP":"10.000"}}`):
 * re-formatted from the parsed amounts so the wire form is always canonical.
 */
export function catalogEnvValue(
  catalog: InfraConfig['creditCatalog'],
  format: (millis: number) => string,
): string {
  const out: Record<string, Record<string, string>> = {};
  for (const [sku, prices] of Object.entries(catalog)) {
    out[sku] = Object.fromEntries(
      Object.entries(prices).map(([currency, millis]) => [currency, format(millis)]),
    );
  }
  return JSON.stringify(out);
}
