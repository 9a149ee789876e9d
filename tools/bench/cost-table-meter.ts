/**
 * The cost benchmark's DynamoDB meter: the units dynalite reports (ReturnConsumedCapacity), and what DynamoDB bills
 * but reports nothing of, computed from a shadow of every item this process wrote or read: index writes, by the
 * synthesized table's GSIs, and failed conditional writes. Table writes computed alike are kept as a check.
 */
import { observeTableCalls, type TableCall } from '../../shared/store/consumed-capacity';
import { TableSchema } from '../../shared/store/schema';
import { type IndexShape, indexWriteUnits, itemBytes, writeUnits } from './cost-model';
import { meter } from './cost-phase';

const shadow = new Map<string, Record<string, unknown>>();
let indexes: IndexShape[] = [];
const TABLE_KEYS = [TableSchema.partitionKey, TableSchema.sortKey];

const keyOf = (item: Record<string, unknown>) =>
  `${String(item[TableSchema.partitionKey])}\u0000${String(item[TableSchema.sortKey])}`;

/** A table write: what DynamoDB reported (table only, from dynalite), plus the index writes it bills and reports. */
function applyWrite(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): void {
  for (const index of indexes) meter.dynamo.indexWrite += indexWriteUnits(index, before, after, TABLE_KEYS);
  meter.dynamo.computedTableWrite += Math.max(
    before ? writeUnits(itemBytes(before)) : 0,
    after ? writeUnits(itemBytes(after)) : 0,
    1,
  );
}

function countTableCall(call: TableCall): void {
  const d = meter.dynamo;
  d.calls += 1;
  const input = call.input as Record<string, unknown> & {
    Key?: Record<string, unknown>;
    Item?: Record<string, unknown>;
    IndexName?: string;
  };
  const output = call.output as
    | (Record<string, unknown> & { Item?: Record<string, unknown>; Attributes?: Record<string, unknown> })
    | undefined;
  if (call.error) {
    // A failed condition still bills the write: the size of the item as it stood, at least one unit.
    if ((call.error as Error).name === 'ConditionalCheckFailedException' && call.kind === 'write') {
      const key = keyOf(input.Key ?? input.Item ?? {});
      d.failedConditionWrite += writeUnits(itemBytes(shadow.get(key) ?? {}));
    }
    return;
  }
  if (call.units === undefined) d.unexplained += 1;
  else if (call.kind === 'read') d.reportedRead += call.units;
  else d.reportedWrite += call.units;
  switch (call.operation) {
    case 'GetItem':
      if (output?.Item) shadow.set(keyOf(output.Item), output.Item);
      break;
    case 'PutItem': {
      const item = input.Item ?? {};
      applyWrite(shadow.get(keyOf(item)), item);
      shadow.set(keyOf(item), item);
      break;
    }
    case 'UpdateItem': {
      const key = keyOf(input.Key ?? {});
      const after = output?.Attributes;
      if (!after) d.unexplained += 1;
      applyWrite(shadow.get(key), after);
      if (after) shadow.set(key, after);
      break;
    }
    case 'DeleteItem': {
      const key = keyOf(input.Key ?? {});
      applyWrite(shadow.get(key), undefined);
      shadow.delete(key);
      break;
    }
    case 'Query':
    case 'Scan': {
      const full = !input.IndexName || indexes.find((i) => i.name === input.IndexName)?.projection === 'ALL';
      for (const item of (output?.Items as Record<string, unknown>[] | undefined) ?? []) {
        if (full && !shadow.has(keyOf(item))) shadow.set(keyOf(item), item);
      }
      break;
    }
    case 'BatchGetItem':
      break;
    default:
      // Batch writes and transactions: not made by the workflow; counted, their index writes not modelled.
      d.unexplained += 1;
  }
}

/** Counts every call of the table module into the current phase, `tableIndexes` being the synthesized table's GSIs. */
export function meterTableCalls(tableIndexes: IndexShape[]): void {
  indexes = tableIndexes;
  observeTableCalls(countTableCall);
}
