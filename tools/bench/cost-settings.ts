/**
 * The cost benchmark's settings (tools/bench/cost.ts): how many orders, their mix and how many in flight, the Yay
 * sandbox's latency, the fresh-process loads per bundle for init, the hours of a month, and the test-only webhook
 * secrets local mode is started with. The report states them.
 */

/** Orders in the run; `BENCH_COST_ORDERS` changes it (the report states the count). At least 200 for docs/benchmarks.md. */
export const ORDERS = Number(process.env.BENCH_COST_ORDERS) || 300;
/** Orders in flight at once (closed loop): a busy shop's evening, and what sets the measured concurrency. */
export const IN_FLIGHT = 4;
/** Share of orders from a buyer who already has a Yay customer (a top-up: no create, a receipt not a welcome). */
export const REPEAT_SHARE = 0.3;
/** Share of orders from the Shopify store (orders/create then orders/paid); the rest are Stripe Checkout. */
export const SHOPIFY_SHARE = 0.4;
/** One delivery in this many is delivered a second time, as a store retries a webhook it thinks was lost. */
export const DUPLICATE_EVERY = 20;
export const YAY_LATENCY_MS = 50;
/** Fresh-process loads per bundle for its init time. */
export const INIT_RUNS = 5;
export const HOURS_PER_MONTH = 730;
export const SECRETS = {
  STRIPE_WEBHOOK_SECRET: 'whsec_cost-bench-test-only-not-a-secret',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-cost-bench-test-only-not-a-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'woocommerce-cost-bench-test-only-not-a-secret',
} as const;
