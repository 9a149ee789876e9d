import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { LocalSecretIds } from '../../local/aws/secrets';
import { runOps } from '../../ops/cli';
import { parseCredit } from '../../shared/domain/credit';
import { Samples, sampleJson, shopifyHeaders, Variants, WOO_SOURCE, wooHeaders } from '../fixtures/webhooks';
import { E2E_SECRETS, e2eEnv, useLocalMode } from './support';

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

  const sandbox = () => local.sandbox();
  /** The catalog's GBP SKU, so the providers' sample orders are priced. */
  const gbpSku = () => {
    const catalog = JSON.parse(process.env.CREDIT_CATALOG ?? '{}') as Record<string, Record<string, string>>;
    const [sku, prices] = Object.entries(catalog).find(([, byCurrency]) => byCurrency.GBP) ?? [];
    if (!sku || !prices?.GBP) throw new Error('the credit catalog has no GBP SKU');
    return { sku, price: parseCredit(prices.GBP) };
  };
  const post = async (provider: string, body: string, headers: Record<string, string>) => {
    const answer = await fetch(`${local.runtime.url}/webhooks/${provider}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: answer.status, orderKey: ((await answer.json()) as { orderKey: string }).orderKey };
  };
  // The published samples with one credit line priced by a GBP SKU of the catalog (hand-written variants).
  const paidShopifyOrder = (shop: string) => {
    const body = Variants.shopifyOrder(Samples.shopify.ordersPaid, {
      sku: { from: 'SKU2006-001', to: gbpSku().sku },
      currency: 'GBP',
    });
    return post(
      'shopify',
      body,
      shopifyHeaders(body, 'orders/paid', E2E_SECRETS.SHOPIFY_WEBHOOK_SECRET, shop),
    );
  };
  const paidWooOrder = () => {
    const order = sampleJson(Samples.woocommerce.order);
    order.currency = 'GBP';
    order.line_items = [{ ...order.line_items[1], sku: gbpSku().sku, quantity: 1 }];
    const body = JSON.stringify(order);
    return post(
      'woocommerce',
      body,
      wooHeaders(body, 'order.updated', E2E_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET),
    );
  };
  /** `npm run ops -- …`; resolves with the exit code and all output. */
  const ops = async (args: string[], env: Record<string, string> = {}) => {
    const lines: string[] = [];
    const io = {
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
      env: e2eEnv(env),
    };
    const code = await runOps(args, io);
    return { code, text: lines.join('\n') };
  };
  const storeFrontOf = (customerUuid: string | undefined) =>
    sandbox().state.customers.find((customer) => customer.uuid === customerUuid)?.store_front;

  const local = useLocalMode('stores', {
    maxWaitSeconds: 3,
    env: { CDK_CONTEXT_JSON: JSON.stringify({ 'yay:storeFront': DEFAULT_FRONT }) },
    context: {
      'provisioning:stores': JSON.stringify({
        [SHOP_A]: { storeFront: FRONT_A },
        [SHOP_B]: { storeFront: FRONT_B },
      }),
    },
  });

  it('gives the sandbox one store front per configured UUID and records them for the ops CLI', () => {
    expect(
      sandbox()
        .storeFronts.map((front) => front.uuid)
        .sort(),
    ).toEqual([DEFAULT_FRONT, FRONT_A, FRONT_B].sort());
    expect(local.runtime.info.storeFronts).toEqual({
      default: DEFAULT_FRONT,
      stores: { [SHOP_A]: FRONT_A, [SHOP_B]: FRONT_B },
    });
  });

  it("provisions each shop's paid order under that shop's store front, an unlisted site's under the default", async () => {
    const answers = await Promise.all([paidShopifyOrder(SHOP_A), paidShopifyOrder(SHOP_B), paidWooOrder()]);
    const orders = await Promise.all(answers.map((answer) => local.runtime.waitForOrder(answer.orderKey)));

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

  it("passes ops yay-check with every configured store front among the account's, naming each store", async () => {
    const check = await ops(['yay-check', '--data-dir', local.dataDir]);

    expect(check.code).toBe(0);
    expect(check.text).toMatch(new RegExp(`ok +store-front yay:storeFront: ${DEFAULT_FRONT} `));
    expect(check.text).toMatch(
      new RegExp(`ok +store-front ${SHOP_A}: ${FRONT_A} "Sandbox store \\(${SHOP_A}\\)"`),
    );
    expect(check.text).toMatch(new RegExp(`ok +store-front ${SHOP_B}: ${FRONT_B} `));
  });

  it("flags with --aws a store front of the stack's StoreFronts output the account lacks, naming store and key", async () => {
    const MISSING = '5a4d0000-0000-4000-8000-00000000dead';
    const cloudFormation = mockClient(CloudFormationClient);
    const stack = (storeFronts?: unknown) => ({
      Stacks: [
        {
          StackName: 'YayProvisioning',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE' as const,
          Outputs: [
            { OutputKey: 'TableName', OutputValue: local.runtime.info.tableName },
            { OutputKey: 'StateMachineArn', OutputValue: local.runtime.info.stateMachineArn },
            { OutputKey: 'YaySecretArn', OutputValue: LocalSecretIds.yay },
            { OutputKey: 'EventBusName', OutputValue: local.runtime.info.eventBusName },
            ...(storeFronts ? [{ OutputKey: 'StoreFronts', OutputValue: JSON.stringify(storeFronts) }] : []),
          ],
        },
      ],
    });
    // The deployed functions' Yay is this runtime's sandbox; the secret is read from its Secrets Manager stand-in.
    const yayCheck = () =>
      ops(['yay-check', '--aws'], { YAY_API_BASE_URL: local.runtime.info.endpoints.yay });
    try {
      cloudFormation
        .on(DescribeStacksCommand)
        .resolves(
          stack({ default: DEFAULT_FRONT, stores: { [SHOP_A]: FRONT_A, 'shop-c.myshopify.com': MISSING } }),
        );
      const missing = await yayCheck();
      cloudFormation.on(DescribeStacksCommand).resolves(stack());
      const older = await yayCheck();

      expect(missing.code).toBe(1);
      expect(missing.text).toContain(
        `failed   store-front shop-c.myshopify.com: ${MISSING}, store shop-c.myshopify.com's store front ` +
          "(context provisioning:stores.shop-c.myshopify.com.storeFront), is not among the account's store fronts",
      );
      expect(missing.text).toMatch(new RegExp(`ok +store-front ${SHOP_A}: ${FRONT_A}`));
      expect(older.code).toBe(0);
      expect(older.text).toContain(
        'Configured store fronts not checked: stack YayProvisioning has no output StoreFronts: deploy this version.',
      );
    } finally {
      cloudFormation.restore();
    }
  });

  // Last, over everything above: local mode enforces the template's IAM grants, and a green flow needs no more.
  it("made no call a function's role does not allow", () => {
    expect(local.runtime.iam.denials).toEqual([]);
  });
});
