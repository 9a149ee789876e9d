import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocal } from '../../infra/local/runtime';
import { parseCredit } from '../../shared/domain/credit';
import { fixtureJson, shopifyHeaders, WOO_SOURCE, wooHeaders } from '../fixtures/webhooks';
import { E2E_SECRETS, e2eEnv } from './support';

/**
 * Several stores, several store fronts, through local mode over HTTP: `provisioning:stores` given as
 * `npm start -- -c` gives it (the `context` option) and the default store front through the environment's
 * `CDK_CONTEXT_JSON`. Its own file, so it gets its own runtime (one per process) with this context.
 */
describe('local mode with several stores', () => {
  const SHOP_A = 'shop-a.myshopify.com';
  const SHOP_B = 'shop-b.myshopify.com';
  const FRONT_A = '5a4d0000-0000-4000-8000-0000000000a1';
  const FRONT_B = '5a4d0000-0000-4000-8000-0000000000b2';
  const DEFAULT_FRONT = '5a4d0000-0000-4000-8000-0000000000d0';
  let runtime: LocalRuntime;
  let dataDir: string;

  const sandbox = () => {
    if (!runtime.sandbox) throw new Error('the e2e runtime runs the in-process sandbox');
    return runtime.sandbox;
  };
  /** The catalog's GBP SKU, so the providers' sample orders are priced. */
  const gbpSku = () => {
    const catalog = JSON.parse(process.env.CREDIT_CATALOG ?? '{}') as Record<string, Record<string, string>>;
    const [sku, prices] = Object.entries(catalog).find(([, byCurrency]) => byCurrency.GBP) ?? [];
    if (!sku || !prices?.GBP) throw new Error('the credit catalog has no GBP SKU');
    return { sku, price: parseCredit(prices.GBP) };
  };
  type Line = { sku: string; quantity: number };
  const post = async (provider: string, body: string, headers: Record<string, string>) => {
    const answer = await fetch(`${runtime.url}/webhooks/${provider}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: answer.status, orderKey: ((await answer.json()) as { orderKey: string }).orderKey };
  };
  const paidShopifyOrder = (shop: string) => {
    const order = fixtureJson<{ line_items: Line[] }>('shopify/orders-paid.json');
    order.line_items = [{ ...(order.line_items[0] as Line), sku: gbpSku().sku, quantity: 1 }];
    const body = JSON.stringify(order);
    return post('shopify', body, {
      ...shopifyHeaders(body, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET),
      'X-Shopify-Shop-Domain': shop,
    });
  };
  const paidWooOrder = () => {
    const order = fixtureJson<{ line_items: Line[] }>('woocommerce/order-processing.json');
    order.line_items = [{ ...(order.line_items[0] as Line), sku: gbpSku().sku, quantity: 1 }];
    const body = JSON.stringify(order);
    return post(
      'woocommerce',
      body,
      wooHeaders(body, 'order.updated', E2E_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET),
    );
  };
  const storeFrontOf = (customerUuid: string | undefined) =>
    sandbox().state.customers.find((customer) => customer.uuid === customerUuid)?.store_front;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'yay-e2e-stores-'));
    runtime = await startLocal({
      env: e2eEnv({ CDK_CONTEXT_JSON: JSON.stringify({ 'yay:storeFront': DEFAULT_FRONT }) }),
      overrides: { port: 0, dataDir, maxWaitSeconds: 3 },
      print: () => undefined,
      schedules: false,
      context: {
        'provisioning:stores': JSON.stringify({
          [SHOP_A]: { storeFront: FRONT_A },
          [SHOP_B]: { storeFront: FRONT_B },
        }),
      },
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('gives the sandbox one store front per configured UUID and records them for the ops CLI', () => {
    expect(
      sandbox()
        .storeFronts.map((front) => front.uuid)
        .sort(),
    ).toEqual([DEFAULT_FRONT, FRONT_A, FRONT_B].sort());
    expect(runtime.info.storeFronts).toEqual({
      default: DEFAULT_FRONT,
      stores: { [SHOP_A]: FRONT_A, [SHOP_B]: FRONT_B },
    });
  });

  it("provisions each shop's paid order under that shop's store front, an unlisted site's under the default", async () => {
    const answers = await Promise.all([paidShopifyOrder(SHOP_A), paidShopifyOrder(SHOP_B), paidWooOrder()]);
    const orders = await Promise.all(answers.map((answer) => runtime.waitForOrder(answer.orderKey)));

    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
    expect(answers.map((answer) => answer.orderKey)).toEqual([
      expect.stringMatching(`^shopify:${SHOP_A}:`),
      expect.stringMatching(`^shopify:${SHOP_B}:`),
      expect.stringMatching(`^woocommerce:${new URL(WOO_SOURCE).host}:`),
    ]);
    expect(orders.map((order) => [order.state, order.transfer?.amount])).toEqual([
      ['fulfilled', gbpSku().price],
      ['fulfilled', gbpSku().price],
      ['fulfilled', gbpSku().price],
    ]);
    expect(orders.map((order) => storeFrontOf(order.customerUuid))).toEqual([
      FRONT_A,
      FRONT_B,
      DEFAULT_FRONT,
    ]);
  });
});
