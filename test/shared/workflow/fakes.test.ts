import { describe, expect, it } from 'vitest';
import type { Millis } from '../../../shared/domain/credit';
import { YayRateLimited } from '../../../shared/errors';
import { sampleCustomerInput, useYaySandbox } from '../../helpers/yay-sandbox';
import { FakeYay } from './fakes';

/** Only what a ledger says, without the instants each side stamps with its own clock. */
const movements = (history: { change: number; balance?: number }[] | undefined) =>
  history?.map(({ change, balance }) => ({ change, balance }));

describe('FakeYay (the in-memory YayApi of the use-case tests)', () => {
  const yay = useYaySandbox();

  it('keeps the same balance history as the client reads from the sandbox for the same transfers and spending', async () => {
    const client = yay.client();
    const { uuid } = await client.createCustomer(
      sampleCustomerInput('cboth', yay.sandbox.storeFronts[0]?.uuid ?? ''),
    );
    const real = { uuid: uuid ?? '', name: 'cboth' };
    const fake = new FakeYay();
    const fakeCustomer = { uuid: fake.addCustomer('cboth'), name: 'cboth' };

    for (const [kind, amount] of [
      ['transfer', 10_000],
      ['spend', 12_500],
      ['transfer', 2_000],
    ] as const) {
      if (kind === 'transfer') {
        await client.transferCredit(real.uuid, amount as Millis);
        await fake.transferCredit(fakeCustomer.uuid, amount as Millis);
      } else {
        yay.sandbox.spend(real.uuid, amount as Millis);
        fake.spend(fakeCustomer.uuid, amount);
      }
    }

    const expected = [
      { change: 10_000, balance: 10_000 },
      { change: -12_500, balance: -2_500 },
      { change: 2_000, balance: -500 },
    ];
    expect(movements(await client.customerBalanceHistory(real))).toEqual(expected);
    expect(movements(await fake.customerBalanceHistory(fakeCustomer))).toEqual(expected);
    await expect(fake.customerBalance(fakeCustomer)).resolves.toBe(-500);
  });

  it('stamps each entry with its own clock, records a transfer whose answer was lost, and none refused', async () => {
    const fake = new FakeYay();
    let now = new Date('2026-12-06T10:00:00.000Z');
    fake.now = () => now;
    const customer = { uuid: fake.addCustomer('cfake', 500), name: 'cfake' };
    now = new Date('2026-12-06T10:05:00.000Z');
    fake.transferFaults.push('lost-answer', 'rejected');
    await expect(fake.transferCredit(customer.uuid, 1_000 as Millis)).rejects.toThrow('socket hang up');
    await expect(fake.transferCredit(customer.uuid, 1_000 as Millis)).rejects.toThrow('400');

    await expect(fake.customerBalanceHistory(customer)).resolves.toEqual([
      { change: 500, balance: 500, at: '2026-12-06T10:00:00.000Z' },
      { change: 1_000, balance: 1_500, at: '2026-12-06T10:05:00.000Z' },
    ]);
  });

  it('answers no history when switched off, and throws the error it is given, as the real client would', async () => {
    const fake = new FakeYay();
    const customer = { uuid: fake.addCustomer('coff'), name: 'coff' };
    fake.customerBalanceHistoryReadable = false;
    await expect(fake.customerBalanceHistory(customer)).resolves.toBeUndefined();
    fake.customerBalanceHistoryError = new YayRateLimited('429');
    await expect(fake.customerBalanceHistory(customer)).rejects.toBeInstanceOf(YayRateLimited);
    expect(() => fake.spend('nobody', 1)).toThrow(/no customer/);
  });
});
