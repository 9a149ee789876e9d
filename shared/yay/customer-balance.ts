import * as z from 'zod';
import type { Millis } from '../domain/credit';
import { OrderInvalid, YayRejected, YayUnavailable } from '../errors';
import { readYayAmount } from './amount';
import { type HistoryReading, readBalanceHistory } from './balance-history';
import { unexpectedBody } from './call-errors';
import { AUTH_FOR_SAFE, type YayRequest } from './request';
import type { BalanceHistorySource, CustomerBalanceSource } from './settings';

/**
 * What one balance-history candidate gave, for `ops yay-check`: a reading of its answer, or `notAnswered` with
 * the status of the definite refusal (404, 400…) that means "not this path".
 */
export type HistoryProbe = HistoryReading | { kind: 'notAnswered'; status: number };

const AmountSchema = z.union([z.number(), z.string()]);
const BalanceSchema = z.looseObject({ balance: AmountSchema });

/** The `{"balance": …}` of an answer, which must carry one (the reseller's balance). */
export function readBalance(context: string, result: unknown): Millis {
  const parsed = BalanceSchema.safeParse(result);
  if (!parsed.success) throw unexpectedBody(context, parsed.error);
  return readAmount(context, parsed.data.balance);
}

/**
 * Each candidate path for one customer's balance and for its history, read alone (shared/yay/README.md says which
 * are guesses). `resellerBalance` is the client's own, read around the `auth-for` candidate.
 */
export function customerBalanceReaders(request: YayRequest, resellerBalance: () => Promise<Millis>) {
  /**
   * Reads `{"balance": …}` at `path`, as the reference shows the per-customer command answering. A definite
   * refusal (404, 400…) or an answer without a balance means "not this path": `undefined`, so the next candidate
   * is tried. Transient and auth errors are thrown: the caller (the state machine) retries them.
   */
  async function balanceAt(path: string): Promise<Millis | undefined> {
    let result: unknown;
    try {
      ({ result } = await request('GET', path));
    } catch (error) {
      if (error instanceof YayRejected) return undefined;
      throw error;
    }
    const parsed = BalanceSchema.safeParse(result);
    return parsed.success ? readAmount(`GET ${path}`, parsed.data.balance) : undefined;
  }

  async function balanceFrom(
    source: CustomerBalanceSource,
    customer: { uuid: string; name: string },
  ): Promise<Millis | undefined> {
    const path = customerPath(customer.uuid);
    switch (source) {
      case 'reseller-balance':
        return balanceAt(`/account/reseller-balance/${encodeURIComponent(customer.uuid)}`);
      case 'reseller-uuid-balance':
        return balanceAt(`${path}/balance`);
      case 'customer-record':
        return balanceAt(path);
      case 'auth-for':
        return balanceOnBehalf(customer.name);
    }
  }

  /** The reseller's balance call run on behalf of the customer, `X-Auth-For: <name>`. */
  async function balanceOnBehalf(name: string): Promise<Millis | undefined> {
    // A name that cannot travel in the header cannot be asked about this way; the other paths may still answer.
    if (typeof name !== 'string' || !AUTH_FOR_SAFE.test(name)) return undefined;
    const before = await resellerBalance();
    let onBehalf: Millis;
    try {
      const { result } = await request('GET', '/account/balance', { authFor: name });
      const parsed = BalanceSchema.safeParse(result);
      if (!parsed.success) return undefined;
      onBehalf = readAmount('GET /account/balance (X-Auth-For)', parsed.data.balance);
    } catch (error) {
      if (error instanceof YayRejected) return undefined;
      throw error;
    }
    // A server that ignores X-Auth-For answers the reseller's own balance. That cannot be told apart
    // from a customer whose balance happens to equal it, so equality is undecidable, not a reading.
    const after = await resellerBalance();
    if (onBehalf === before || onBehalf === after) return undefined;
    return onBehalf;
  }

  async function historyFrom(
    source: BalanceHistorySource,
    customer: { uuid: string; name: string },
  ): Promise<HistoryProbe> {
    const path = customerPath(customer.uuid);
    const at =
      source === 'reseller-balance-history'
        ? `/account/reseller-balance/${encodeURIComponent(customer.uuid)}/history`
        : `${path}/balance/history`;
    try {
      const { result } = await request('GET', at);
      return readBalanceHistory(result);
    } catch (error) {
      if (error instanceof YayRejected) return { kind: 'notAnswered', status: error.statusCode };
      throw error;
    }
  }

  return { balanceFrom, historyFrom };
}

/** A customer's record path; OrderInvalid for an empty uuid, before any call. */
export function customerPath(uuid: string): string {
  if (typeof uuid !== 'string' || uuid.trim() === '') throw new OrderInvalid('customer uuid is empty');
  return `/account/reseller/${encodeURIComponent(uuid)}`;
}

/** Amounts come back as numbers or strings, and balances may be negative; never a float inside. */
export function readAmount(context: string, value: number | string): Millis {
  try {
    return readYayAmount(value);
  } catch (error) {
    throw new YayUnavailable(
      `${context}: Yay answered an unreadable balance: ${error instanceof Error ? error.message : String(error)}`,
      true,
    );
  }
}
