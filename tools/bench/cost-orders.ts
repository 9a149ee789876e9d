/**
 * The cost benchmark's run driver: plans the orders (providers, new and repeat buyers), builds their signed webhooks
 * from the soak's builders, and sends them to local mode over HTTP, a fixed number in flight, each a store's
 * duplicate now and then, counting the API requests and access-log bytes they make.
 */
import { Agent, request } from 'node:http';
import type { LocalRuntime } from '../../local/runtime/start-local';
import { shopifyHeaders } from '../../test/fixtures/webhooks';
import { paidOrder } from '../soak/plan';
import type { PlannedBuyer, PlannedOrder, SoakPlan } from '../soak/plan-types';
import { type SoakWebhook, soakOrderKey } from '../soak/webhook-common';
import { buildWebhook } from '../soak/webhooks';
import { accessLogLineBytes } from './cost-aws-logs';
import type { Deployment } from './cost-deployment';
import { httpApiRequests, utf8Bytes } from './cost-model';
import { DUPLICATE_EVERY, IN_FLIGHT, ORDERS, REPEAT_SHARE, SECRETS, SHOPIFY_SHARE } from './cost-settings';

interface Delivery {
  order: PlannedOrder;
  webhook: SoakWebhook;
  topic?: string;
}

/** The orders of the run: providers, buyers (new or repeat) and their webhooks. */
export function planOrders(count: number): { buyers: PlannedBuyer[]; orders: PlannedOrder[] } {
  const buyers: PlannedBuyer[] = [];
  const orders: PlannedOrder[] = [];
  for (let index = 0; index < count; index += 1) {
    const provider = (index * 7) % 10 < SHOPIFY_SHARE * 10 ? 'shopify' : 'stripe';
    const same = buyers.filter((b) => b.provider === provider);
    // Deterministic: every order whose position falls in the repeat share reuses an earlier buyer of its store.
    const repeat = same.length > 0 && (index * 13) % 10 < REPEAT_SHARE * 10;
    let buyer = repeat ? same[(index * 31) % same.length] : undefined;
    if (!buyer) {
      const n = String(buyers.length).padStart(4, '0');
      buyer = {
        index: buyers.length,
        provider,
        firstName: `Cost${n}`,
        lastName: 'Bench',
        email: `cost-bench-${n}@example.com`,
        customerId: provider === 'stripe' ? `cus_costbench${n}` : `71531062731${n.padStart(8, '0')}`,
      };
      buyers.push(buyer);
    }
    const n = String(index).padStart(5, '0');
    orders.push(
      paidOrder({
        index,
        provider,
        buyer: buyer.index,
        orderId:
          provider === 'stripe' ? `cs_test_costbench${n}` : `82098291194${String(index).padStart(8, '0')}`,
        paymentIntent: `pi_costbench${n}`,
      }),
    );
  }
  return { buyers, orders };
}

/** A paid order's deliveries: Stripe's one event; Shopify's orders/create (already paid) then orders/paid. */
function deliveriesOf(plan: SoakPlan, order: PlannedOrder): Delivery[] {
  const secrets = {
    stripe: SECRETS.STRIPE_WEBHOOK_SECRET,
    shopify: SECRETS.SHOPIFY_WEBHOOK_SECRET,
    woocommerce: SECRETS.WOOCOMMERCE_WEBHOOK_SECRET,
  };
  const paid = buildWebhook(plan, order, 'paid', secrets);
  if (order.provider !== 'shopify') return [{ order, webhook: paid }];
  // The orders/create body of a card order paid at checkout is the orders/paid body: the same bytes, its own topic.
  const createId = `5a0c0000-0000-4000-8000-${String(order.index).padStart(8, '0')}9000`;
  const created: SoakWebhook = {
    ...paid,
    headers: (attempt) => ({
      ...paid.headers(attempt),
      ...shopifyHeaders(paid.body, 'orders/create', secrets.shopify),
      'X-Shopify-Webhook-Id': createId,
      'X-Shopify-Event-Id': createId,
    }),
  };
  return [
    { order, webhook: created, topic: 'orders/create' },
    { order, webhook: paid, topic: 'orders/paid' },
  ];
}

function post(agent: Agent, url: string, webhook: SoakWebhook): Promise<{ status: number; length: number }> {
  const headers = webhook.headers(0);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${webhook.path}`,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(webhook.body) } },
      (res) => {
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, length }));
      },
    );
    req.on('error', reject);
    req.end(webhook.body);
  });
}

export interface RunFigures {
  orders: number;
  fulfilled: number;
  newBuyers: number;
  requests: number;
  requestBodyBytes: number;
  accessLogBytes: number;
  seconds: number;
}

export async function driveOrders(rt: LocalRuntime, deployment: Deployment): Promise<RunFigures> {
  const { buyers, orders } = planOrders(ORDERS);
  const plan = { buyers } as Pick<SoakPlan, 'buyers'> as SoakPlan;
  const closed = new Map<string, () => void>();
  rt.workflow.events.on('closed', (record) => {
    if (record.orderKey) closed.get(record.orderKey)?.();
  });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT * 2 });
  const firstOrderOf = new Map<number, Promise<void>>();
  let requests = 0;
  let requestBodyBytes = 0;
  let accessLogBytes = 0;
  let deliveries = 0;
  const send = async (delivery: Delivery) => {
    const copies = ++deliveries % DUPLICATE_EVERY === 0 ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const answer = await post(agent, rt.url, delivery.webhook);
      requests += httpApiRequests(utf8Bytes(delivery.webhook.body));
      requestBodyBytes += utf8Bytes(delivery.webhook.body);
      accessLogBytes += accessLogLineBytes(deployment.accessLogFormat, answer.status, answer.length);
      if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`);
    }
  };
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < orders.length) {
      const order = orders[next++] as PlannedOrder;
      // A repeat buyer comes back after their first order is done, as a top-up does.
      const first = firstOrderOf.get(order.buyer);
      if (first) await first;
      const key = soakOrderKey(order);
      const done = new Promise<void>((resolve) => closed.set(key, resolve));
      if (!first) firstOrderOf.set(order.buyer, done);
      for (const delivery of deliveriesOf(plan, order)) await send(delivery);
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
      closed.delete(key);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (Date.now() - started) / 1000;
  agent.destroy();
  await rt.idle(60_000);
  return {
    orders: orders.length,
    fulfilled: 0,
    newBuyers: buyers.length,
    requests,
    requestBodyBytes,
    accessLogBytes,
    seconds,
  };
}
