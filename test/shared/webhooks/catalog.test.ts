import { describe, expect, it } from 'vitest';
import { ConfigInvalid } from '../../../shared/errors';
import { creditForLines, parseCreditCatalog } from '../../../shared/webhooks/catalog';
import { loadIntakeConfig } from '../../../shared/webhooks/config';
import { TEST_CATALOG_JSON } from '../../fixtures/webhooks';

describe('parseCreditCatalog', () => {
  it('parses decimal credit strings into integer thousandths per SKU and currency', () => {
    expect(parseCreditCatalog(JSON.stringify({ 'VOIP-10': { GBP: '10.000', EUR: '9.5' } }))).toEqual({
      'VOIP-10': { GBP: 10000, EUR: 9500 },
    });
  });

  it.each([
    [undefined, /CREDIT_CATALOG is required/],
    ['', /CREDIT_CATALOG is required/],
    ['{not json', /CREDIT_CATALOG is not valid JSON/],
    ['[]', /CREDIT_CATALOG is invalid at \(root\)/],
    ['{"VOIP-10":{"gbp":"10.000"}}', /CREDIT_CATALOG is invalid at VOIP-10\.gbp/],
    ['{"VOIP-10":{"GBP":"-1"}}', /CREDIT_CATALOG is invalid at VOIP-10\.GBP: .*negative/],
    ['{"VOIP-10":{"GBP":"10.0001"}}', /CREDIT_CATALOG is invalid at VOIP-10\.GBP: .*three decimals/],
    ['{"VOIP-10":"10.000"}', /CREDIT_CATALOG is invalid at VOIP-10/],
  ])('throws ConfigInvalid naming the variable and path when the value is %j', (raw, message) => {
    expect(() => parseCreditCatalog(raw)).toThrow(ConfigInvalid);
    expect(() => parseCreditCatalog(raw)).toThrow(message);
  });
});

describe('creditForLines', () => {
  const catalog = parseCreditCatalog(TEST_CATALOG_JSON);

  it('sums catalog credit × quantity over credit SKUs and ignores other merchandise', () => {
    const credit = creditForLines(catalog, 'gbp', [
      { refs: ['VOIP-10'], quantity: 3 },
      { refs: ['STICKER'], quantity: 5 },
      { refs: [null], quantity: 1 },
    ]);

    expect(credit).toEqual({ amount: 30000, currency: 'GBP' });
  });

  it("prices a line by the first of its references the catalog knows: a Stripe price's lookup key, else its id", () => {
    const stripe = parseCreditCatalog(
      JSON.stringify({ 'voip-monthly': { GBP: '10.000' }, price_1Credit25: { GBP: '25.000' } }),
    );

    const byLookupKey = creditForLines(stripe, 'GBP', [
      { refs: ['voip-monthly', 'price_1Other'], quantity: 2 },
    ]);
    const byPriceId = creditForLines(stripe, 'GBP', [{ refs: [null, 'price_1Credit25'], quantity: 1 }]);

    expect(byLookupKey).toEqual({ amount: 20000, currency: 'GBP' });
    expect(byPriceId).toEqual({ amount: 25000, currency: 'GBP' });
  });

  it('returns a null amount with the reason when a credit SKU is not priced in the currency', () => {
    expect(creditForLines(catalog, 'USD', [{ refs: ['VOIP-10'], quantity: 1 }])).toEqual({
      amount: null,
      currency: 'USD',
      unpricedReason: 'VOIP-10 is not priced in USD',
    });
  });

  it('returns a null amount with the reason when no line is a credit SKU', () => {
    expect(creditForLines(catalog, 'GBP', [{ refs: ['STICKER'], quantity: 1 }])).toEqual({
      amount: null,
      currency: 'GBP',
      unpricedReason: 'no line item is in the credit catalog (by SKU, price lookup key or price id)',
    });
  });
});

describe('loadIntakeConfig', () => {
  const env = {
    EVENT_BUS_NAME: 'provisioning',
    WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:webhooks',
    CREDIT_CATALOG: TEST_CATALOG_JSON,
  };

  it('reads the bus, the secret, the catalog and a 300 s default cache age', () => {
    const config = loadIntakeConfig(env);

    expect(config.eventBusName).toBe('provisioning');
    expect(config.secretsMaxAgeSeconds).toBe(300);
    expect(config.catalog['VOIP-10']?.GBP).toBe(10000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each(['EVENT_BUS_NAME', 'WEBHOOK_SECRET_ARN', 'CREDIT_CATALOG'])(
    'fails fast naming %s when it is missing',
    (name) => {
      expect(() => loadIntakeConfig({ ...env, [name]: undefined })).toThrow(new RegExp(name));
    },
  );

  it('fails naming SECRETS_MAX_AGE_SECONDS when it is not a positive integer', () => {
    expect(() => loadIntakeConfig({ ...env, SECRETS_MAX_AGE_SECONDS: 'soon' })).toThrow(
      /SECRETS_MAX_AGE_SECONDS/,
    );
  });
});
