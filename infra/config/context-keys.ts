import { StoreFrontContextKeys } from '../../shared/store-fronts';
import { YaySettingContextKeys } from '../../shared/yay/settings';

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
