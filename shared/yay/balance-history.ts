import type { Millis } from '../domain/credit';
import { readYayAmount } from './amount';
import type { BalanceHistoryEntry } from './types';

/**
 * What reading an answer of a balance-history candidate gave: a ledger, or why it is none. `notHistory` (the
 * answer is not an array) means "not this path", so the next candidate is tried; `unreadable` means a history
 * that cannot be read exactly, so no other path is guessed at. Reasons name fields and rules, never values.
 */
export type HistoryReading =
  | { kind: 'ledger'; entries: BalanceHistoryEntry[] }
  | { kind: 'notHistory'; reason: string }
  | { kind: 'unreadable'; reason: string; fields: string[] };

/**
 * The field names read for each meaning. The reference shows the history as `[{}]`: its fields are not
 * published, so these are the usual names, and an entry that carries none of them is unreadable rather than
 * guessed at. Change them here once `ops yay-check` has shown the real ones.
 */
export const HistoryFields = {
  /** The signed movement: positive for an allocation or top-up, negative for spending. */
  change: ['amount', 'change'],
  /** The balance after the movement. */
  balance: ['balance', 'balance_after', 'new_balance'],
  /** When it happened. */
  at: ['created_on', 'created_at', 'timestamp', 'date', 'time', 'at'],
  /**
   * Fields that could give the amount a sign of their own (an unsigned amount with a debit flag): an entry with
   * any of them is unreadable, since reading its amount as signed could take a spend for a transfer.
   */
  direction: ['type', 'direction', 'transaction_type', 'credit', 'debit', 'sign', 'is_credit', 'is_debit'],
} as const;

/**
 * An instant with a date, a time and a zone (`2026-12-06T10:00:00Z`, `2026-12-06 10:00:00.123+00:00`). A date
 * alone, or a time without a zone (London or UTC?), cannot be compared with when an attempt started.
 */
const INSTANT = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}|[+-]\d{4})$/i;

function readInstant(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = INSTANT.exec(value.trim());
  if (!match) return undefined;
  const [, date, time, fraction = '', zone = ''] = match;
  const offset = /^[+-]\d{4}$/.test(zone) ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
  // Date rolls 2026-02-30 over into March and may take 24:00: refuse what is not a real calendar day and time.
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== date) return undefined;
  const [hours, minutes, seconds] = (time as string).split(':').map(Number) as [number, number, number];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const parsed = new Date(`${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}

type Field<T> = { value: T } | { missing: true } | { problem: string };

/** The one value an entry gives for a meaning, read by `read` from whichever of `names` it carries. */
function field<T>(
  entry: Record<string, unknown>,
  names: readonly string[],
  read: (value: unknown) => T | undefined,
  meaning: string,
): Field<T> {
  const present = names.filter((name) => entry[name] !== undefined && entry[name] !== null);
  if (present.length === 0) return { missing: true };
  const values: T[] = [];
  for (const name of present) {
    const value = read(entry[name]);
    if (value === undefined) return { problem: `${meaning} field "${name}" cannot be read exactly` };
    values.push(value);
  }
  if (values.some((value) => value !== values[0])) {
    return { problem: `${meaning} fields ${present.map((n) => `"${n}"`).join(' and ')} disagree` };
  }
  return { value: values[0] as T };
}

function amount(value: unknown): Millis | undefined {
  try {
    return readYayAmount(value);
  } catch {
    return undefined;
  }
}

/**
 * Reads a balance-history answer's `result` as a ledger, strictly: every entry must give exactly one signed
 * change and one instant (and at most one balance); anything less makes the whole history unreadable, never
 * partly read. When every entry carries a balance, the entries must chain (each balance is the previous one
 * plus its change, oldest first), which catches an unsigned amount the field list did not foresee.
 */
export function readBalanceHistory(result: unknown): HistoryReading {
  if (!Array.isArray(result)) return { kind: 'notHistory', reason: 'the answer is not an array' };
  const fields = [
    ...new Set(result.flatMap((entry) => (entry && typeof entry === 'object' ? Object.keys(entry) : []))),
  ].sort();
  const unreadable = (reason: string): HistoryReading => ({ kind: 'unreadable', reason, fields });
  const entries: BalanceHistoryEntry[] = [];
  for (const [index, raw] of result.entries()) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      return unreadable(`entry ${index} is not an object`);
    const entry = raw as Record<string, unknown>;
    const direction = HistoryFields.direction.find((name) => name in entry);
    if (direction)
      return unreadable(`entry ${index} has a "${direction}" field that may set the amount's sign`);
    const change = field(entry, HistoryFields.change, amount, 'change');
    if ('problem' in change) return unreadable(`entry ${index}: ${change.problem}`);
    if ('missing' in change)
      return unreadable(`entry ${index} has no change field (${HistoryFields.change.join(', ')})`);
    const at = field(entry, HistoryFields.at, readInstant, 'time');
    if ('problem' in at) return unreadable(`entry ${index}: ${at.problem} (an instant with a time zone)`);
    if ('missing' in at)
      return unreadable(`entry ${index} has no time field (${HistoryFields.at.join(', ')})`);
    const balance = field(entry, HistoryFields.balance, amount, 'balance');
    if ('problem' in balance) return unreadable(`entry ${index}: ${balance.problem}`);
    entries.push({
      change: change.value,
      at: at.value,
      ...('value' in balance ? { balance: balance.value } : {}),
    });
  }
  // Oldest first; entries at the same instant keep the order Yay gave them.
  const ordered = entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
  if (ordered.length > 1 && ordered.every((entry) => entry.balance !== undefined)) {
    for (let i = 1; i < ordered.length; i += 1) {
      const previous = ordered[i - 1] as BalanceHistoryEntry;
      const current = ordered[i] as BalanceHistoryEntry;
      if ((previous.balance as number) + current.change !== current.balance) {
        return unreadable(
          `entries do not chain: the balance after entry ${i} is not the previous balance plus its change`,
        );
      }
    }
  }
  return { kind: 'ledger', entries: ordered };
}
