/**
 * DynamoDB's IAM, in front of dynalite: a thin loopback proxy that reads each call's operation and tables, asks the
 * access check, and either answers `AccessDeniedException` as DynamoDB does or passes the request through to
 * dynalite byte for byte. The operator's requests (no caller header) are passed through without being read.
 */
import { Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import type { AccessCheck, AccessRequest } from '../../iam/access';
import { callerOf, LOCAL_CALLER_HEADER } from '../../iam/caller';
import { type LoopbackServer, listenLoopback } from '../../listen';
import { readRequestBody } from '../aws-json';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/types';

/** DynamoDB's own request limit is 16 MB (a BatchWriteItem of 25 items of 400 KB each is ~10 MB). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The table's ARN from a TableName (a name, or already an ARN). */
function tableArn(table: unknown): string {
  const name = typeof table === 'string' && table !== '' ? table : '*';
  if (name.startsWith('arn:')) return name;
  return name === '*' ? '*' : `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
}

/** TransactWriteItems' parts and the item action IAM authorizes each by (there is no Transact action in IAM). */
const TRANSACT_WRITE_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/**
 * What IAM authorizes a DynamoDB call on (`X-Amz-Target: DynamoDB_20120810.<Operation>`): `dynamodb:<Operation>` on
 * the table, on `<table>/index/<IndexName>` for a Query or Scan of an index, on each table of a batch, and per item
 * (by the item's own action) for a transaction.
 */
export function dynamoDbAccessRequests(operation: string, input: Record<string, unknown>): AccessRequest[] {
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'Query':
    case 'Scan': {
      const table = tableArn(input.TableName);
      return [
        {
          action,
          resource: typeof input.IndexName === 'string' ? `${table}/index/${input.IndexName}` : table,
        },
      ];
    }
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems ?? {}) as Record<string, unknown>).map((table) => ({
        action,
        resource: tableArn(table),
      }));
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Array<{ Get?: { TableName?: string } }>).map((item) => ({
        action: 'dynamodb:GetItem',
        resource: tableArn(item.Get?.TableName),
      }));
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Array<Record<string, { TableName?: string }>>).flatMap((item) =>
        Object.entries(item).map(([kind, part]) => ({
          action: TRANSACT_WRITE_ACTIONS[kind] ?? `dynamodb:${kind}`,
          resource: tableArn(part?.TableName),
        })),
      );
    case 'ListTables':
      return [{ action, resource: '*' }];
    default:
      return [{ action, resource: tableArn(input.TableName) }];
  }
}

/**
 * The operations whose answer describes the table, where dynalite adds `TableThroughputModeSummary` (a field of a
 * DynamoDB preview, in no service model) beside `BillingModeSummary`: the proxy takes it out, and signs the body's
 * CRC32 again, so an operator's `describe-table` answers what DynamoDB's model defines.
 */
const TABLE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  DescribeTable: 'Table',
  CreateTable: 'TableDescription',
  UpdateTable: 'TableDescription',
  DeleteTable: 'TableDescription',
};

/** The answer's body without dynalite's extra field, or undefined to pass the answer through as it is. */
export function conformTableDescription(operation: string, body: Buffer): Buffer | undefined {
  const member = TABLE_DESCRIPTIONS[operation];
  if (!member) return undefined;
  let answer: Record<string, Record<string, unknown> | undefined>;
  try {
    answer = JSON.parse(body.toString('utf8')) as typeof answer;
  } catch {
    return undefined;
  }
  const table = answer[member];
  if (!table || !('TableThroughputModeSummary' in table)) return undefined;
  delete table.TableThroughputModeSummary;
  return Buffer.from(JSON.stringify(answer));
}

function deny(res: ServerResponse, message: string): void {
  const body = JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message });
  res.writeHead(400, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': 'AccessDeniedException',
  });
  res.end(body);
}

/**
 * Starts the proxy on `port` (0: any). `target()` is dynalite's URL now (a restart of local mode in the same
 * process starts a new dynalite behind the same proxy port the handlers' clients keep).
 */
export async function startDynamoDbProxy(options: {
  readonly target: () => string;
  readonly access?: AccessCheck;
  readonly port?: number;
}): Promise<LoopbackServer & { close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true });
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const target = new URL(options.target());
    const { [LOCAL_CALLER_HEADER]: _caller, host: _host, ...headers } = req.headers;
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...headers, host: target.host, 'content-length': body.length },
        agent,
      },
      (answer) => {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        if (!TABLE_DESCRIPTIONS[operation] || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
          return;
        }
        readRequestBody(answer, MAX_BODY_BYTES).then(
          (raw = Buffer.alloc(0)) => {
            const body = conformTableDescription(operation, raw) ?? raw;
            res.writeHead(200, {
              ...answer.headers,
              'content-length': body.length,
              'x-amz-crc32': String(crc32(body)),
            });
            res.end(body);
          },
          () => {
            if (!res.headersSent) res.writeHead(500, { 'x-amzn-errortype': 'InternalServerError' });
            res.end();
          },
        );
      },
    );
    upstream.on('error', () => {
      // dynalite gone (a stop in progress): the SDK retries a 500 as it would DynamoDB's.
      if (!res.headersSent) res.writeHead(500, { 'x-amzn-errortype': 'InternalServerError' });
      res.end();
    });
    upstream.end(body);
  };
  const server = await listenLoopback(async (req, res) => {
    const body = await readRequestBody(req, MAX_BODY_BYTES);
    if (!body) {
      res.writeHead(413);
      res.end();
      return;
    }
    if (options.access && callerOf(req) !== undefined) {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // Not JSON: dynalite answers it as DynamoDB would (SerializationException).
      }
      const denial = options.access(req, dynamoDbAccessRequests(operation, input));
      if (denial) return deny(res, denial.message);
    }
    forward(req, res, body);
  }, options.port ?? 0);
  return {
    ...server,
    close: async () => {
      await server.close();
      agent.destroy();
    },
  };
}
