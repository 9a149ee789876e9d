import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { createTable } from '../../shared/store/create-table';
import { TableSchema } from '../../shared/store/schema';

type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

// dynalite ships CommonJS without types: load it through require and type the one call we make.
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

/** Fake credentials: dynalite ignores them, the SDK insists on some. */
export const FAKE_CREDENTIALS = {
  accessKeyId: 'test-only-not-a-secret',
  secretAccessKey: 'test-only-not-a-secret',
};

export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  client: DynamoDBClient;
  /** A fresh table name per call, created per TableSchema. */
  newTable(): Promise<string>;
  /**
   * Another client of the same dynalite, for a test that adds middleware (a call counter, DynamoDB's
   * ALL_OLD) without touching the shared one. Destroyed by `stop()`.
   */
  newClient(): DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in-process on a free loopback port (in-memory). Each suite calls it in `beforeAll` and
 * `stop()` in `afterAll`; `newTable()` gives a test its own table so tests never see each other's items.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const connect = () => new DynamoDBClient({ endpoint, region: 'eu-west-2', credentials: FAKE_CREDENTIALS });
  const client = connect();
  const others: DynamoDBClient[] = [];
  return {
    endpoint,
    client,
    async newTable() {
      const name = `test-${randomUUID()}`;
      await createTable(client, name);
      return name;
    },
    newClient() {
      const other = connect();
      others.push(other);
      return other;
    },
    async stop() {
      for (const other of others) other.destroy();
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The DynamoDB calls a client sent, by operation (`GetItem`, `UpdateItem`, …): one per `send`, retries aside. */
export interface CallCounter {
  readonly calls: Map<string, number>;
  total(): number;
  /** Calls of the given operations only. */
  of(...operations: string[]): number;
  reset(): void;
}

/** Counts every call `client` sends from now on (middleware on that client only). */
export function countCalls(client: DynamoDBClient): CallCounter {
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'testCallCounter' },
  );
  const of = (...operations: string[]) => operations.reduce((sum, op) => sum + (calls.get(op) ?? 0), 0);
  return {
    calls,
    total: () => of(...calls.keys()),
    of,
    reset: () => calls.clear(),
  };
}

/**
 * Makes `client` behave like DynamoDB where dynalite does not: a write that fails its condition with
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` carries the item in the ConditionalCheckFailedException
 * (marshalled, as DynamoDB sends it). The item is read through `reader`, so a counter on `client` sees only
 * the calls the code under test made.
 */
export function returnItemOnConditionFailure(client: DynamoDBClient, reader: DynamoDBClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const input = args.input as {
          TableName?: string;
          Key?: Record<string, AttributeValue>;
          Item?: Record<string, AttributeValue>;
          ReturnValuesOnConditionCheckFailure?: string;
        };
        const failed = error as Error & { Item?: Record<string, AttributeValue> };
        if (
          failed.name === 'ConditionalCheckFailedException' &&
          input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' &&
          !failed.Item
        ) {
          failed.Item = await currentItem(reader, input);
        }
        throw error;
      }
    },
    // After the document client's marshalling: the input here is in DynamoDB's own shape.
    { step: 'build', name: 'testReturnItemOnConditionFailure' },
  );
}

async function currentItem(
  reader: DynamoDBClient,
  input: { TableName?: string; Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue> },
): Promise<Record<string, AttributeValue> | undefined> {
  const key = input.Key ?? keyOf(input.Item ?? {});
  const read: GetItemCommandInput = { TableName: input.TableName, Key: key, ConsistentRead: true };
  return (await reader.send(new GetItemCommand(read))).Item;
}

function keyOf(item: Record<string, AttributeValue>): Record<string, AttributeValue> {
  const key: Record<string, AttributeValue> = {};
  for (const name of [TableSchema.partitionKey, TableSchema.sortKey]) {
    const value = item[name];
    if (value) key[name] = value;
  }
  return key;
}
