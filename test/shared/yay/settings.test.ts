import { describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import { ConfigInvalid } from '../../../shared/errors';
import { creditAllocationCall, describeCreditAllocation } from '../../../shared/yay/credit-allocation';
import {
  DEFAULT_YAY_SETTINGS,
  pickYaySettingsEnv,
  yaySettingsEnv,
  yaySettingsFromEnv,
} from '../../../shared/yay/settings';

describe('yaySettingsFromEnv', () => {
  it('takes the defaults when nothing is set: every candidate in order, and the guide transfer', () => {
    expect(yaySettingsFromEnv({})).toEqual(DEFAULT_YAY_SETTINGS);
    expect(yaySettingsFromEnv({ YAY_CUSTOMER_BALANCE_PATH: ' ', YAY_CREDIT_ALLOCATION_NET: '' })).toEqual(
      DEFAULT_YAY_SETTINGS,
    );
  });

  it('reads a pinned path, a switched-off history and the allocation command with its net', () => {
    expect(
      yaySettingsFromEnv({
        YAY_CUSTOMER_BALANCE_PATH: 'auth-for',
        YAY_BALANCE_HISTORY_PATH: 'none',
        YAY_CREDIT_ALLOCATION: 'allocate',
        YAY_CREDIT_ALLOCATION_NET: 'true',
      }),
    ).toEqual({
      customerBalance: 'auth-for',
      balanceHistory: 'none',
      creditAllocation: { command: 'allocate', net: 'true' },
    });
  });

  it.each([
    [
      { YAY_CUSTOMER_BALANCE_PATH: 'balance' },
      /YAY_CUSTOMER_BALANCE_PATH must be one of auto, reseller-balance/,
    ],
    [{ YAY_BALANCE_HISTORY_PATH: 'reseller-balance' }, /YAY_BALANCE_HISTORY_PATH must be one of auto, none/],
    [
      { YAY_CREDIT_ALLOCATION: 'post' },
      /YAY_CREDIT_ALLOCATION must be one of put-balance, allocate, got "post"/,
    ],
    [
      { YAY_CREDIT_ALLOCATION: 'allocate' },
      /YAY_CREDIT_ALLOCATION_NET is required with .*YAY_CREDIT_ALLOCATION=allocate/,
    ],
    [
      { YAY_CREDIT_ALLOCATION: 'allocate', YAY_CREDIT_ALLOCATION_NET: 'a b' },
      /YAY_CREDIT_ALLOCATION_NET is required/,
    ],
    [{ YAY_CREDIT_ALLOCATION_NET: '1' }, /YAY_CREDIT_ALLOCATION_NET is only used with/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => yaySettingsFromEnv(env)).toThrow(ConfigInvalid);
    expect(() => yaySettingsFromEnv(env)).toThrow(message);
  });
});

describe('yaySettingsEnv', () => {
  it('gives no variable for the defaults, so a deployment that sets nothing changes no function', () => {
    expect(yaySettingsEnv(DEFAULT_YAY_SETTINGS)).toEqual({});
  });

  it('gives every setting off its default, and reads back as the same settings', () => {
    const settings = yaySettingsFromEnv({
      YAY_CUSTOMER_BALANCE_PATH: 'reseller-uuid-balance',
      YAY_BALANCE_HISTORY_PATH: 'reseller-uuid-balance-history',
      YAY_CREDIT_ALLOCATION: 'allocate',
      YAY_CREDIT_ALLOCATION_NET: '0',
    });
    const env = yaySettingsEnv(settings);
    expect(env).toEqual({
      YAY_CUSTOMER_BALANCE_PATH: 'reseller-uuid-balance',
      YAY_BALANCE_HISTORY_PATH: 'reseller-uuid-balance-history',
      YAY_CREDIT_ALLOCATION: 'allocate',
      YAY_CREDIT_ALLOCATION_NET: '0',
    });
    expect(yaySettingsFromEnv(env)).toEqual(settings);
    expect(pickYaySettingsEnv({ ...env, TABLE_NAME: 't', YAY_API_BASE_URL: 'x' })).toEqual(env);
  });
});

describe('creditAllocationCall', () => {
  const uuid = '5a4d0000-0000-4000-8000-0000000000c1';

  it("sends the guide's PUT with only the balance, three decimals, by default", () => {
    expect(creditAllocationCall(DEFAULT_YAY_SETTINGS.creditAllocation, uuid, 10_000 as Millis)).toEqual({
      method: 'PUT',
      path: `/account/reseller/${uuid}`,
      body: { balance: '10.000' },
    });
  });

  it('sends the allocation command with net in the query string, exactly as configured, when chosen', () => {
    expect(creditAllocationCall({ command: 'allocate', net: 'true' }, uuid, 2_505 as Millis)).toEqual({
      method: 'POST',
      path: `/account/reseller-balance/${uuid}?net=true`,
      body: { balance: '2.505' },
    });
    expect(describeCreditAllocation({ command: 'allocate', net: 'true' })).toMatch(
      /^POST \/account\/reseller-balance\/\{uuid\}\?net=true with \{"balance":"<amount>"\}/,
    );
  });

  it('encodes the uuid into the path, and refuses an empty one or an amount below 0.010', () => {
    expect(creditAllocationCall(DEFAULT_YAY_SETTINGS.creditAllocation, 'a/b', 10 as Millis).path).toBe(
      '/account/reseller/a%2Fb',
    );
    expect(() => creditAllocationCall(DEFAULT_YAY_SETTINGS.creditAllocation, ' ', 10 as Millis)).toThrow(
      /uuid is empty/,
    );
    expect(() => creditAllocationCall(DEFAULT_YAY_SETTINGS.creditAllocation, uuid, 9 as Millis)).toThrow(
      /below the minimum/,
    );
    expect(() => creditAllocationCall(DEFAULT_YAY_SETTINGS.creditAllocation, uuid, -10 as Millis)).toThrow(
      /below the minimum/,
    );
  });
});
