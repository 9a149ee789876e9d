/**
 * What the soak gives local mode and the Yay sandbox: obvious fakes for every secret, the Yay account, the reseller's
 * starting balance; and the shape of a sealed store password, which must never be printed either.
 */
/**
 * Obvious fakes for every secret local mode is given. The run fails if any of them (or the naming key local
 * mode generates, or a sealed store password) shows up in anything a child printed or in the report.
 */
export const SOAK_SECRETS = {
  STRIPE_WEBHOOK_SECRET: 'whsec_soak-test-only-not-a-secret',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-soak-test-only-not-a-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'woocommerce-soak-test-only-not-a-secret',
  YAY_PASSWORD: 'yay-soak-test-only-not-a-secret',
} as const;

export const YAY_RESELLER = 'soak-reseller';
export const YAY_USER = 'soak-user';
/** Enough for every order several times over: a too-low balance is a different soak. */
export const RESELLER_BALANCE = '1000000.000';
/** A sealed store password (`shared/yay/password-box.ts`), which must never be printed either. */
export const SEALED_PASSWORD = /local1\.[A-Za-z0-9_-]{20,}/;
