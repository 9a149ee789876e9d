import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../shared/store/table';

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
  const client = new DynamoDBClient({ endpoint, region: 'eu-west-2', credentials: FAKE_CREDENTIALS });
  return {
    endpoint,
    client,
    async newTable() {
      const name = `test-${randomUUID()}`;
      await createTable(client, name);
      return name;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
