/**
 * The single table as every repository sees it: the document client, reads page after page, and conditional
 * writes whose failed condition is an answer (with the item as it stood) rather than an error. The key layout is
 * in item-keys.ts, the index attributes in indexes.ts, the update builder in update.ts.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  type QueryCommandInput,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { countConsumedCapacity } from './consumed-capacity';
import { type Item, type ItemKey, itemKey, PK, SK, strip } from './item-keys';
import type { Update } from './update';

/**
 * Builds the document client the way every handler does: undefined fields are dropped, not rejected, and every
 * call asks DynamoDB for the units it consumed (free; counted in ./consumed-capacity.ts).
 */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  countConsumedCapacity(client);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** A failed condition, whichever copy of the SDK threw it. */
export function isConditionFailure(
  error: unknown,
): error is Error & { Item?: Record<string, AttributeValue> } {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** The one table, as the repositories share it. */
export interface Table {
  readonly doc: DynamoDBDocumentClient;
  readonly name: string;
  /** Items per page of a paged read (DynamoDB's `Limit`); undefined: DynamoDB's own 1 MB pages. */
  readonly pageSize?: number;
}

/** Where the table is and how to reach it. */
export interface TableOptions {
  tableName: string;
  /** Defaults to a new client; `AWS_ENDPOINT_URL_DYNAMODB` is honoured by the SDK (local mode, dynalite). */
  client?: DynamoDBClient;
  /** Items per page when a read follows `LastEvaluatedKey` (tests make it small to prove the paging). */
  pageSize?: number;
}

/** The table the repositories share, over one document client. */
export function openTable(options: TableOptions): Table {
  return { doc: documentClient(options.client), name: options.tableName, pageSize: options.pageSize };
}

/** Strongly consistent read of one item, stripped. */
export async function getItem<T>(table: Table, key: ItemKey): Promise<T | undefined> {
  const out = await table.doc.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }));
  return out.Item ? strip<T>(out.Item) : undefined;
}

type PagedInput<T> = Omit<T, 'TableName' | 'ExclusiveStartKey' | 'Limit'>;

/** Every item of a query, page after page (the SDK's paginator follows `LastEvaluatedKey`). */
export async function queryAll(table: Table, input: PagedInput<QueryCommandInput>): Promise<Item[]> {
  const items: Item[] = [];
  const pages = paginateQuery(
    { client: table.doc, pageSize: table.pageSize },
    { ...input, TableName: table.name },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/** Every item of a scan, page after page. */
export async function scanAll(table: Table, input: PagedInput<ScanCommandInput>): Promise<Item[]> {
  const items: Item[] = [];
  const pages = paginateScan(
    { client: table.doc, pageSize: table.pageSize },
    { ...input, TableName: table.name },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/**
 * What a conditional write came to. On a failed condition, `current()` is the item as it stood: DynamoDB
 * returns it in the ConditionalCheckFailedException when asked (`ReturnValuesOnConditionCheckFailure:
 * 'ALL_OLD'`), which saves a read; dynalite does not (pinned in test/shared/store/dynamo-store.test.ts), and
 * neither does DynamoDB when there was no item, so then `current()` reads it (consistently). Callers that do
 * not need the item never call it and pay nothing.
 */
export type Written<T> =
  | { readonly applied: true; readonly item: T }
  | { readonly applied: false; current(): Promise<T | undefined> };

async function attempt<T>(table: Table, key: ItemKey, write: () => Promise<T>): Promise<Written<T>> {
  try {
    return { applied: true, item: await write() };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const returned = error.Item;
    return {
      applied: false,
      // DynamoDB's item (marshalled: the document client unmarshalls outputs, not errors), else a re-read.
      current: async () => (returned ? strip<T>(unmarshall(returned)) : getItem<T>(table, key)),
    };
  }
}

/** A plain condition for a put or a delete. */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** The condition of a put that creates an item and never overwrites one. */
export const ABSENT: Condition = { expression: 'attribute_not_exists(#pk)', names: { '#pk': PK } };

/** Puts `item` if `condition` holds; `item` comes back stripped. */
export function tryPut<T>(table: Table, item: Item, condition: Condition = ABSENT): Promise<Written<T>> {
  const key = itemKey(String(item[PK]), String(item[SK]));
  return attempt(table, key, async () => {
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: item,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return strip<T>(item);
  });
}

/** Applies `update` if `condition` holds; the item comes back as it is afterwards. */
export function tryUpdate<T>(
  table: Table,
  key: ItemKey,
  changes: Update,
  condition: string,
): Promise<Written<T>> {
  return attempt(table, key, async () => {
    const out = await table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: key,
        ...changes.input(),
        ConditionExpression: condition,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return strip<T>(out.Attributes ?? {});
  });
}

/**
 * Applies `update`, creating the item when absent, and returns it as it is afterwards. With a `condition`, a
 * failure is an error (DynamoDB's ConditionalCheckFailedException): for writes that need the item to exist.
 */
export async function updateItem<T>(
  table: Table,
  key: ItemKey,
  changes: Update,
  condition?: string,
): Promise<T> {
  const out = await table.doc.send(
    new UpdateCommand({
      TableName: table.name,
      Key: key,
      ...changes.input(),
      ...(condition ? { ConditionExpression: condition } : {}),
      ReturnValues: 'ALL_NEW',
    }),
  );
  return strip<T>(out.Attributes ?? {});
}

/** Deletes the item if `condition` holds; false when it did not. */
export async function tryDelete(table: Table, key: ItemKey, condition: Condition): Promise<boolean> {
  const deleted = await attempt(table, key, async () => {
    await table.doc.send(
      new DeleteCommand({
        TableName: table.name,
        Key: key,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    );
  });
  return deleted.applied;
}

/** The item a failed condition found, which only a delete in between can have made disappear. */
export function mustExist<T>(item: T | undefined, what: string): T {
  if (!item) throw new Error(`${what} disappeared during a conditional write`);
  return item;
}
