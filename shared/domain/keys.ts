import { createHmac } from 'node:crypto';

export const Providers = ['stripe', 'shopify', 'woocommerce'] as const;
export type Provider = (typeof Providers)[number];

/** `provider:store:orderId` — every delivery, schedule and replay of one order collapses onto it. */
export function orderKey(provider: Provider, store: string, orderId: string): string {
  return `${provider}:${store}:${orderId}`;
}

/**
 * `provider:store:` + the provider's customer id, else the lower-cased e-mail; undefined when the store sent
 * neither (the order then waits for a person to supply an e-mail).
 */
export function buyerKey(
  provider: Provider,
  store: string,
  customerId: string | null | undefined,
  email: string | null | undefined,
): string | undefined {
  const id = customerId?.trim() || email?.trim().toLowerCase();
  return id ? `${provider}:${store}:${id}` : undefined;
}

/** `provider:store:<payment id>`: how a refund naming only its payment (a Stripe PaymentIntent) finds its order. */
export function paymentKey(provider: Provider, store: string, paymentId: string): string {
  return `${provider}:${store}:${paymentId}`;
}

/**
 * Step Functions execution name for an order: ≤ 80 chars of `[A-Za-z0-9-_]`. Readable prefix plus a hash
 * of the whole key so two keys never collide after the unsafe characters are replaced.
 * A deliberate replay appends `-r<n>`.
 */
export function executionName(key: string, replay?: number): string {
  const hash = createHmac('sha256', 'execution-name').update(key).digest('hex').slice(0, 16);
  const suffix = replay ? `-r${replay}` : '';
  const readable = key.replace(/[^A-Za-z0-9-_]/g, '_');
  const room = 80 - hash.length - 1 - suffix.length;
  return `${readable.slice(0, room)}-${hash}${suffix}`;
}
