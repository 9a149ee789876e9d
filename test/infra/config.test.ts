import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/app-factory';
import { ContextKeys, configuredLoginUrls, configuredStoreFronts, loadInfraConfig } from '../../infra/config';
import { type FunctionName, FunctionNames } from '../../infra/names';
import { EnvNames } from '../../shared/config';
import { ConfigInvalid } from '../../shared/errors';
import { functionProperties } from './synth';

const base = cdkJsonContext();
const load = (overrides: Record<string, unknown>) => {
  const context: Record<string, unknown> = { ...base, ...overrides };
  return loadInfraConfig((key) => context[key]);
};
const failure = (overrides: Record<string, unknown>): ConfigInvalid => {
  try {
    load(overrides);
  } catch (error) {
    if (error instanceof ConfigInvalid) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(overrides)}`);
};

describe('loadInfraConfig', () => {
  it('reads the cdk.json defaults into typed values, the catalog in thousandths of a pound', () => {
    const config = load({});
    expect(config).toMatchObject({
      yayApiBaseUrl: 'https://api.yay.com',
      yayStoreFront: '00000000-0000-4000-8000-000000000000',
      paymentWindowDays: 28,
      alarmEmail: undefined,
      yaySecretArn: undefined,
      partnerEventBusName: undefined,
      resellerBalanceFloorMillis: 0,
      logRetentionDays: 90,
    });
    expect(config.creditCatalog).toEqual({
      'CREDIT-10': { GBP: 10_000 },
      'CREDIT-25': { GBP: 25_000 },
      'CREDIT-50': { GBP: 50_000 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts CLI strings (-c key=value) for numbers and a JSON string for the catalog', () => {
    const config = load({
      [ContextKeys.paymentWindowDays]: '14',
      [ContextKeys.creditCatalog]: '{"TOPUP-5":{"GBP":"5.5"}}',
      [ContextKeys.resellerBalanceFloor]: '25',
      [ContextKeys.alarmEmail]: 'ops@example.com',
    });
    expect(config.paymentWindowDays).toBe(14);
    expect(config.creditCatalog).toEqual({ 'TOPUP-5': { GBP: 5_500 } });
    expect(config.resellerBalanceFloorMillis).toBe(25_000);
    expect(config.alarmEmail).toBe('ops@example.com');
  });

  it.each([
    [ContextKeys.yayStoreFront, 'not-a-uuid', /^context yay:storeFront must be a UUID, got "not-a-uuid"$/],
    [ContextKeys.yayStoreFront, undefined, /^context yay:storeFront must be a UUID, got undefined$/],
    [
      ContextKeys.yayApiBaseUrl,
      'http://api.yay.com',
      /^context yay:apiBaseUrl must be an https URL, got "http:/,
    ],
    [
      ContextKeys.paymentWindowDays,
      0,
      /^context provisioning:paymentWindowDays must be a whole number of days 1–365, got 0$/,
    ],
    [ContextKeys.paymentWindowDays, 400, /^context provisioning:paymentWindowDays .* got 400$/],
    [ContextKeys.paymentWindowDays, '7.5', /^context provisioning:paymentWindowDays .* got "7.5"$/],
    [ContextKeys.alarmEmail, 'ops-at-example', /^context provisioning:alarmEmail must be an e-mail address/],
    [
      ContextKeys.yaySecretArn,
      'my-secret',
      /^context provisioning:yaySecretArn must be a Secrets Manager secret ARN/,
    ],
    [
      ContextKeys.partnerEventBusName,
      'default',
      /^context provisioning:partnerEventBusName must be a partner/,
    ],
    [
      ContextKeys.resellerBalanceFloor,
      '-5',
      /^context provisioning:resellerBalanceFloor must be a GBP amount/,
    ],
    [ContextKeys.logRetentionDays, 42, /^context provisioning:logRetentionDays must be one of 1, 3, 5/],
  ])('rejects %s = %j with a message naming the key', (key, value, message) => {
    const error = failure({ [key]: value });
    expect(error.name).toBe('ConfigInvalid');
    expect(error.message).toMatch(message);
  });

  it('names the SKU and currency of a catalog amount with more than three decimals', () => {
    const error = failure({ [ContextKeys.creditCatalog]: { 'CREDIT-10': { GBP: '10.0001' } } });
    expect(error.message).toMatch(
      /^context provisioning:creditCatalog\.CREDIT-10\.GBP must be a credit amount/,
    );
    expect(error.message).toContain('more than three decimals');
  });

  it('names the catalog key when the catalog is not SKU → currency → amount', () => {
    expect(failure({ [ContextKeys.creditCatalog]: { 'CREDIT-10': '10.000' } }).message).toMatch(
      /^context provisioning:creditCatalog\.CREDIT-10 must map SKU/,
    );
    expect(failure({ [ContextKeys.creditCatalog]: '{not json' }).message).toMatch(
      /^context provisioning:creditCatalog must be a JSON object/,
    );
  });

  it('cuts a long offending value short in the message', () => {
    const error = failure({ [ContextKeys.yayStoreFront]: 'x'.repeat(500) });
    expect(error.message.length).toBeLessThan(160);
  });
});

describe('loadInfraConfig provisioning:stores', () => {
  const FRONT_A = '5a4d0000-0000-4000-8000-0000000000a1';
  const FRONT_B = '5a4d0000-0000-4000-8000-0000000000b2';
  const stores = (value: unknown) => ({ [ContextKeys.stores]: value });

  it("reads each store's own store front and gives every other store the default", () => {
    const config = load(
      stores({
        'shop-a.myshopify.com': { storeFront: FRONT_A },
        acct_1Connect: { storeFront: FRONT_B },
        'shop.example.org': {},
      }),
    );
    expect(config.stores).toEqual({
      'shop-a.myshopify.com': { storeFront: FRONT_A },
      acct_1Connect: { storeFront: FRONT_B },
      'shop.example.org': {},
    });
    expect(configuredStoreFronts(config)).toEqual({
      default: '00000000-0000-4000-8000-000000000000',
      stores: { 'shop-a.myshopify.com': FRONT_A, acct_1Connect: FRONT_B },
    });
  });

  it('accepts the map as a JSON string, as -c provisioning:stores=… gives it', () => {
    const config = load(stores(JSON.stringify({ 'shop.example.com': { storeFront: FRONT_A } })));
    expect(config.stores).toEqual({ 'shop.example.com': { storeFront: FRONT_A } });
  });

  it('has no stores of its own when the key is absent', () => {
    expect(load({}).stores).toEqual({});
    expect(configuredStoreFronts(load({})).stores).toEqual({});
  });

  it.each([
    [
      'a store front that is not a UUID',
      { 'shop.example.com': { storeFront: 'abc' } },
      /^context provisioning:stores\.shop\.example\.com\.storeFront must be a UUID, got "abc"$/,
    ],
    [
      'a misspelt field',
      { 'shop.example.com': { storefront: FRONT_A } },
      /^context provisioning:stores\.shop\.example\.com\.storefront is not a field of a store \(known: storeFront, loginUrl\), got "5a4d/,
    ],
    [
      'a bare UUID instead of an entry',
      { 'shop.example.com': FRONT_A },
      /^context provisioning:stores\.shop\.example\.com must be an object \{"storeFront":"<uuid>","loginUrl":"<https URL>"\}, got "5a4d/,
    ],
    [
      'a shop domain with capitals, which no order key carries',
      { 'Shop.Example.com': { storeFront: FRONT_A } },
      /^context provisioning:stores\.Shop\.Example\.com must be written lower-case, as order keys carry it \(shop\.example\.com\)/,
    ],
    [
      'a JSON string that is not JSON',
      '{"shop.example.com": {storeFront: ',
      /^context provisioning:stores must be a JSON object \{"<store id>":\{"storeFront":"<uuid>","loginUrl":"<https URL>"\}\}, got "\{\\"shop/,
    ],
    ['a list', [{ storeFront: FRONT_A }], /^context provisioning:stores must be a JSON object/],
  ])('refuses %s, naming the key path', (_what, value, message) => {
    const error = failure(stores(value));
    expect(error.name).toBe('ConfigInvalid');
    expect(error.message).toMatch(message);
  });

  it("refuses more stores than fit in create-customer's 4 KB of environment", () => {
    const many = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`shop-${i}.myshopify.com`, { storeFront: FRONT_A }]),
    );
    expect(failure(stores(many)).message).toMatch(
      /^context provisioning:stores gives create-customer \d+ bytes of store fronts, more than the 3000/,
    );
  });
});

describe('loadInfraConfig buyer e-mail', () => {
  const LOGIN = 'https://shop.example/login';
  const on = (sender: unknown, extra: Record<string, unknown> = {}) =>
    load({ [ContextKeys.emailSender]: sender, [ContextKeys.storeLoginUrl]: LOGIN, ...extra });

  it('leaves e-mail off when no sender is set, as in cdk.json', () => {
    expect(base).not.toHaveProperty(ContextKeys.emailSender);
    expect(load({})).toMatchObject({
      emailSender: undefined,
      emailConfigurationSet: undefined,
      storeLoginUrl: undefined,
    });
    expect(load({ [ContextKeys.emailSender]: '  ' }).emailSender).toBeUndefined();
  });

  it.each([
    ['a bare address', 'noreply@shop.example', 'noreply@shop.example'],
    ['a display name', 'Shop Name <noreply@shop.example>', 'Shop Name <noreply@shop.example>'],
    ['a quoted display name', '"Shop Name" <noreply@shop.example>', 'Shop Name <noreply@shop.example>'],
    [
      'a name with specials, quoted',
      'Shop, Inc. <noreply@shop.example>',
      '"Shop, Inc." <noreply@shop.example>',
    ],
    [
      'a name that is not ASCII, MIME-encoded',
      'Café <noreply@shop.example>',
      '=?UTF-8?B?Q2Fmw6k=?= <noreply@shop.example>',
    ],
  ])('reads %s as the From SES takes, with its address and domain', (_what, sender, from) => {
    expect(on(sender).emailSender).toEqual({ address: 'noreply@shop.example', domain: 'shop.example', from });
    expect(on(sender).storeLoginUrl).toBe(LOGIN);
  });

  it.each([
    ['an address without a domain', 'noreply'],
    ['a name without an address', 'Shop Name'],
    ['two addresses', 'a@shop.example, b@shop.example'],
    ['an unclosed bracket', 'Shop <noreply@shop.example'],
    ['a number', 42],
  ])('refuses %s as the sender, naming the key', (_what, sender) => {
    expect(
      failure({ [ContextKeys.emailSender]: sender, [ContextKeys.storeLoginUrl]: LOGIN }).message,
    ).toMatch(
      /^context provisioning:emailSender must be an e-mail address or "Name <address>" \(or empty: e-mail off\), got /,
    );
  });

  it('requires the sign-in address once a sender is set, saying why', () => {
    expect(failure({ [ContextKeys.emailSender]: 'noreply@shop.example' }).message).toBe(
      'context yay:storeLoginUrl is required when provisioning:emailSender is set (the welcome e-mail tells each buyer where to sign in), got undefined',
    );
  });

  it.each([
    [
      ContextKeys.storeLoginUrl,
      'http://shop.example/login',
      /^context yay:storeLoginUrl must be an https URL, got "http:/,
    ],
    [
      ContextKeys.storeLoginUrl,
      'shop.example/login',
      /^context yay:storeLoginUrl must be an https URL, got "shop/,
    ],
    [
      ContextKeys.emailConfigurationSet,
      'my set',
      /^context provisioning:emailConfigurationSet must be an SES configuration set name \(letters, digits, _ and -, at most 64\), got "my set"$/,
    ],
    [
      ContextKeys.emailConfigurationSet,
      'x'.repeat(65),
      /^context provisioning:emailConfigurationSet must be/,
    ],
  ])('refuses %s = %j, naming the key, with e-mail off too', (key, value, message) => {
    expect(failure({ [key]: value }).message).toMatch(message);
  });

  it('takes an existing configuration set by name', () => {
    expect(
      on('noreply@shop.example', { [ContextKeys.emailConfigurationSet]: 'resellers-set_1' })
        .emailConfigurationSet,
    ).toBe('resellers-set_1');
  });

  it("reads each store's own sign-in address, leaving out the stores that take the default", () => {
    const config = on('noreply@shop.example', {
      [ContextKeys.stores]: {
        'shop-a.myshopify.com': { loginUrl: 'https://shop-a.example/account' },
        'shop.example.org': { storeFront: '5a4d0000-0000-4000-8000-0000000000b2' },
      },
    });
    expect(configuredLoginUrls(config)).toEqual({ 'shop-a.myshopify.com': 'https://shop-a.example/account' });
  });

  it("refuses a store's sign-in address that is not https, naming the store and the field", () => {
    expect(
      failure({ [ContextKeys.stores]: { 'shop.example.com': { loginUrl: 'http://shop.example.com/login' } } })
        .message,
    ).toBe(
      'context provisioning:stores.shop.example.com.loginUrl must be an https URL, got "http://shop.example.com/login"',
    );
  });

  it("refuses more sign-in addresses than fit in notify's 4 KB of environment", () => {
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `shop-${i}.myshopify.com`,
        { loginUrl: `https://shop-${i}.example/account/sign-in/with/a/long/path` },
      ]),
    );
    expect(failure({ [ContextKeys.stores]: many }).message).toMatch(
      /^context provisioning:stores gives notify \d+ bytes of sign-in addresses \(with yay:storeLoginUrl\), more than the 3000/,
    );
  });
});

describe('loadInfraConfig Yay settings', () => {
  it('takes every candidate path in order and the guide transfer when none of the keys is set, as in cdk.json', () => {
    expect(load({}).yaySettings).toEqual({
      customerBalance: 'auto',
      balanceHistory: 'auto',
      creditAllocation: { command: 'put-balance' },
    });
  });

  it('reads a pinned balance path, a history path and the allocation command with its net', () => {
    const config = load({
      [ContextKeys.yayCustomerBalancePath]: 'reseller-uuid-balance',
      [ContextKeys.yayBalanceHistoryPath]: 'none',
      [ContextKeys.yayCreditAllocation]: 'allocate',
      [ContextKeys.yayCreditAllocationNet]: '1',
    });
    expect(config.yaySettings).toEqual({
      customerBalance: 'reseller-uuid-balance',
      balanceHistory: 'none',
      creditAllocation: { command: 'allocate', net: '1' },
    });
    expect(Object.isFrozen(config.yaySettings)).toBe(true);
  });

  it.each([
    [
      { [ContextKeys.yayCustomerBalancePath]: 'balance-field' },
      'context yay:customerBalancePath must be one of auto, reseller-balance, reseller-uuid-balance, customer-record, auth-for, got "balance-field"',
    ],
    [
      { [ContextKeys.yayBalanceHistoryPath]: true },
      'context yay:balanceHistoryPath must be one of auto, none, reseller-balance-history, reseller-uuid-balance-history, got true',
    ],
    [
      { [ContextKeys.yayCreditAllocation]: 'PUT' },
      'context yay:creditAllocation must be one of put-balance, allocate, got "PUT"',
    ],
    [
      { [ContextKeys.yayCreditAllocation]: 'allocate' },
      'context yay:creditAllocationNet is required with context yay:creditAllocation=allocate (the value sent as the allocation command\'s "net", 1-32 letters, digits, ".", "_" or "-"), got undefined',
    ],
    [
      { [ContextKeys.yayCreditAllocationNet]: 'true' },
      'context yay:creditAllocationNet is only used with context yay:creditAllocation=allocate, got "true"',
    ],
  ])('refuses %j naming the key', (overrides, message) => {
    expect(failure(overrides).message).toBe(message);
  });
});

describe('loadInfraConfig money settings', () => {
  it('credits no free order and reconciles by balance up to £20 when neither key is set, as in cdk.json', () => {
    const config = load({});
    expect(config.creditFreeOrders).toBe(false);
    expect(config.reconcileByBalanceUpToMillis).toBe(20_000);
  });

  it('reads both keys from the CLI strings -c gives them', () => {
    const config = load({
      [ContextKeys.creditFreeOrders]: 'true',
      [ContextKeys.reconcileByBalanceUpTo]: '7.5',
    });
    expect(config.creditFreeOrders).toBe(true);
    expect(config.reconcileByBalanceUpToMillis).toBe(7_500);
  });

  it.each([
    [
      { [ContextKeys.creditFreeOrders]: 'yes' },
      'context provisioning:creditFreeOrders must be true or false, got "yes"',
    ],
    [
      { [ContextKeys.reconcileByBalanceUpTo]: '1.2345' },
      'context provisioning:reconcileByBalanceUpTo must be a GBP amount with at most three decimals, got "1.2345"',
    ],
  ])('refuses %j naming the key', (overrides, message) => {
    expect(failure(overrides).message).toBe(message);
  });
});

describe('buildApp with bad context', () => {
  it('fails before creating any stack, naming the key', () => {
    expect(() => buildApp({ bundle: false, context: { [ContextKeys.yayStoreFront]: 'abc' } })).toThrow(
      /context yay:storeFront must be a UUID, got "abc"/,
    );
  });

  it('leaves no cloud assembly dir behind in the temp dir', () => {
    // A private temp dir (os.tmpdir() follows TMPDIR), so other processes' files cannot blur the check.
    const privateTmp = mkdtempSync(join(tmpdir(), 'yay-cdk-trace-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    try {
      expect(() => buildApp({ bundle: false, context: { [ContextKeys.paymentWindowDays]: -1 } })).toThrow(
        /context provisioning:paymentWindowDays/,
      );
      expect(readdirSync(privateTmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(privateTmp, { recursive: true, force: true });
    }
  });
});

describe('buildApp with optional context', () => {
  const account = '123456789012';
  const yaySecretArn = `arn:aws:secretsmanager:eu-west-2:${account}:secret:yay-credentials-AbCdEf`;
  const STORE_FRONT_A = '5a4d0000-0000-4000-8000-0000000000a1';
  const STORE_FRONT_B = '5a4d0000-0000-4000-8000-0000000000b2';
  // Synthesized once, read into memory, and the assembly removed at once (even when every test is filtered out).
  const { built, stateful, provisioning, written } = (() => {
    const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-config-test-'));
    try {
      const app = buildApp({
        bundle: false,
        outdir,
        context: {
          [ContextKeys.alarmEmail]: 'ops@example.com',
          [ContextKeys.partnerEventBusName]: 'aws.partner/stripe.com/ed_test_only',
          [ContextKeys.yaySecretArn]: yaySecretArn,
          [ContextKeys.paymentWindowDays]: 3,
          [ContextKeys.stores]: {
            'shop-a.myshopify.com': { storeFront: STORE_FRONT_A },
            'shop.example.org': { storeFront: STORE_FRONT_B },
            acct_1Connect: {},
          },
          [ContextKeys.yayCustomerBalancePath]: 'auth-for',
          [ContextKeys.yayCreditAllocation]: 'allocate',
          [ContextKeys.yayCreditAllocationNet]: 'true',
          [ContextKeys.creditFreeOrders]: true,
          [ContextKeys.reconcileByBalanceUpTo]: '7.5',
        },
      });
      app.app.synth();
      return {
        built: app,
        stateful: Template.fromStack(app.stateful),
        provisioning: Template.fromStack(app.provisioning),
        written: readdirSync(outdir),
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  })();

  it('imports a secret given by ARN instead of creating it, and grants on that ARN', () => {
    const names = Object.keys(stateful.findResources('AWS::SecretsManager::Secret'));
    expect(names.some((n) => n.startsWith('YaySecret'))).toBe(false);
    expect(names.some((n) => n.startsWith('WebhookSecret'))).toBe(true);
    expect(JSON.stringify(provisioning.toJSON())).toContain(yaySecretArn);
  });

  it('subscribes the alarm e-mail to the topic', () => {
    provisioning.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('routes partner events to webhook-intake with a dead-letter queue and alarms on it', () => {
    provisioning.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'aws.partner/stripe.com/ed_test_only',
      EventPattern: { source: [{ prefix: 'aws.partner/' }] },
    });
    const alarms = Object.keys(provisioning.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.some((id) => id.includes('DeadLettersPartner'))).toBe(true);
  });

  it("gives create-customer each store's own store front, leaving out a store that takes the default", () => {
    const variables = (name: FunctionName) =>
      (functionProperties(provisioning, name).Environment as { Variables: Record<string, unknown> })
        .Variables;
    expect(JSON.parse(String(variables('create-customer')[EnvNames.YAY_STORE_FRONTS]))).toEqual({
      'shop-a.myshopify.com': STORE_FRONT_A,
      'shop.example.org': STORE_FRONT_B,
    });
    for (const name of FunctionNames.filter((n) => n !== 'create-customer')) {
      expect(variables(name), name).not.toHaveProperty(EnvNames.YAY_STORE_FRONTS);
    }
  });

  it("outputs the default and each store's own store front for ops yay-check --aws", () => {
    const value = (provisioning.toJSON().Outputs as Record<string, { Value: unknown }>).StoreFronts?.Value;
    expect(JSON.parse(String(value))).toEqual({
      default: '00000000-0000-4000-8000-000000000000',
      stores: { 'shop-a.myshopify.com': STORE_FRONT_A, 'shop.example.org': STORE_FRONT_B },
    });
  });

  it('gives every Yay-calling function, and no other, the Yay settings that differ from the defaults', () => {
    const variables = (name: FunctionName) =>
      (functionProperties(provisioning, name).Environment as { Variables: Record<string, unknown> })
        .Variables;
    const settings = {
      [EnvNames.YAY_CUSTOMER_BALANCE_PATH]: 'auth-for',
      [EnvNames.YAY_CREDIT_ALLOCATION]: 'allocate',
      [EnvNames.YAY_CREDIT_ALLOCATION_NET]: 'true',
    };
    for (const name of FunctionNames) {
      const env = variables(name);
      if (EnvNames.YAY_SECRET_ARN in env) {
        expect(env, name).toMatchObject(settings);
        // The history stays at its default, so it gets no variable.
        expect(env, name).not.toHaveProperty(EnvNames.YAY_BALANCE_HISTORY_PATH);
      } else {
        for (const key of Object.keys(settings)) expect(env, name).not.toHaveProperty(key);
      }
    }
  });

  it('gives the functions that derive what money owes the free-order switch, and reconcile its balance limit', () => {
    const variables = (name: FunctionName) =>
      (functionProperties(provisioning, name).Environment as { Variables: Record<string, unknown> })
        .Variables;
    const derive = ['dispatch', 'transfer-credit', 'record-outcome', 'sweep'];
    for (const name of FunctionNames) {
      if (derive.includes(name))
        expect(variables(name), name).toMatchObject({ [EnvNames.CREDIT_FREE_ORDERS]: 'true' });
      else expect(variables(name), name).not.toHaveProperty(EnvNames.CREDIT_FREE_ORDERS);
    }
    expect(variables('reconcile-transfer')).toMatchObject({ [EnvNames.RECONCILE_BY_BALANCE_UP_TO]: '7500' });
  });

  it('outputs the Yay settings for ops yay-check --aws, as the functions get them', () => {
    const value = (provisioning.toJSON().Outputs as Record<string, { Value: unknown }>).YaySettings?.Value;
    expect(JSON.parse(String(value))).toEqual({
      YAY_CUSTOMER_BALANCE_PATH: 'auth-for',
      YAY_CREDIT_ALLOCATION: 'allocate',
      YAY_CREDIT_ALLOCATION_NET: 'true',
    });
  });

  it('uses the configured payment window as the wait timeout', () => {
    expect(JSON.stringify(provisioning.toJSON())).toContain(`\\"TimeoutSeconds\\":${3 * 86_400}`);
  });

  it('stays clean under cdk-nag with every optional part switched on', () => {
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });

  it('writes the assembly only under the temp dir it was given', () => {
    expect(written).toContain('manifest.json');
  });
});
