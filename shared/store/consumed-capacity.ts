/**
 * What DynamoDB says the table's calls cost. DynamoDB reports the read and write units a call consumed only when the
 * call asks (`ReturnConsumedCapacity`); asking is free and changes nothing else. The table module's client asks on
 * every data-plane call and adds the answer to process-wide counters here, so a measurement (the cost benchmark,
 * tools/bench/cost.ts) reads real units instead of estimating them. Nothing in the workflow reads them.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The data-plane operations, by whether their units are read or write units. */
const OPERATIONS: Readonly<Record<string, 'read' | 'write'>> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
};

/** One data-plane call as the client made it: the document client's input and output (or error). */
export interface TableCall {
  /** `GetItem`, `PutItem`, `Query`, … */
  readonly operation: string;
  readonly kind: 'read' | 'write';
  readonly input: Readonly<Record<string, unknown>>;
  readonly output?: Readonly<Record<string, unknown>>;
  readonly error?: unknown;
  /** The units DynamoDB reported; undefined when it reported none (a failed call, or an emulator that does not). */
  readonly units?: number;
}

/** Calls and reported units per operation since the process started (or the last reset). */
export interface ConsumedCapacity {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly byOperation: ReadonlyMap<string, { calls: number; units: number; unreported: number }>;
}

const byOperation = new Map<string, { calls: number; units: number; unreported: number }>();
const observers = new Set<(call: TableCall) => void>();

/** The units DynamoDB reported so far, per operation and in total. */
export function consumedCapacity(): ConsumedCapacity {
  let readUnits = 0;
  let writeUnits = 0;
  for (const [operation, figures] of byOperation) {
    if (OPERATIONS[operation] === 'read') readUnits += figures.units;
    else writeUnits += figures.units;
  }
  return { readUnits, writeUnits, byOperation: new Map(byOperation) };
}

/** Starts the counters again from zero. */
export function resetConsumedCapacity(): void {
  byOperation.clear();
}

/** Calls `observer` with every data-plane call from now on; returns the function that stops it. */
export function observeTableCalls(observer: (call: TableCall) => void): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** The units of a `ConsumedCapacity` answer: one object (single-table calls) or a list (batches, transactions). */
function reportedUnits(output: Record<string, unknown> | undefined): number | undefined {
  const reported = output?.ConsumedCapacity as
    | { CapacityUnits?: number }
    | Array<{ CapacityUnits?: number }>
    | undefined;
  if (reported === undefined) return undefined;
  const list = Array.isArray(reported) ? reported : [reported];
  return list.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
}

function record(call: TableCall): void {
  const figures = byOperation.get(call.operation) ?? { calls: 0, units: 0, unreported: 0 };
  figures.calls += 1;
  if (call.units === undefined) figures.unreported += 1;
  else figures.units += call.units;
  byOperation.set(call.operation, figures);
  for (const observer of observers) observer(call);
}

/**
 * Adds the middleware to `client` (once: it is named, and the document client shares its client's stack). It runs
 * before the document client marshalls, so inputs and outputs are in the document client's shape. A caller's own
 * `ReturnConsumedCapacity` is left as it is.
 */
export function countConsumedCapacity(client: Pick<DynamoDBClient, 'middlewareStack'>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const kind = OPERATIONS[operation];
      if (!kind) return next(args);
      const input = {
        ReturnConsumedCapacity: 'TOTAL',
        ...(args.input as Record<string, unknown>),
      };
      try {
        const result = await next({ ...args, input });
        const output = result.output as unknown as Record<string, unknown>;
        record({ operation, kind, input, output, units: reportedUnits(output) });
        return result;
      } catch (error) {
        record({ operation, kind, input, error });
        throw error;
      }
    },
    { step: 'initialize', name: 'countConsumedCapacity', override: true },
  );
}
