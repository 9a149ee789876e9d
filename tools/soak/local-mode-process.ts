/**
 * Local mode as the soak runs it — `npm start`'s entry point, `bin/start.ts`, run directly by Node so that a SIGKILL
 * reaches the process that holds the state (npm and tsx's CLI would each put a parent in between that a kill stops
 * while the runtime lives on) — started, killed and started again on one data dir, with the clients the harness
 * reads it through while it is up.
 */
import { spawn } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateListExecutions, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { REPO_ROOT } from '../../local/aws/lambda';
import { LOCAL_AWS_CREDENTIALS, readRuntimeInfo } from '../../local/runtime-info';
import type { MoneyFact } from '../../shared/domain/money';
import { createDynamoStore, type DynamoStore, ItemKeys } from '../../shared/store';
import { type Exit, endProcess, jsonLine, LoggedChild, openLog } from './child-process';

/** The harness must stop by itself: no call to local mode may hang it (the SDK has no timeout by default). */
const CLIENT_TIMEOUTS = { connectionTimeout: 2_000, requestTimeout: 15_000 };

/**
 * Local mode on one data dir, started, killed and started again. Between a kill and the next ready line it is
 * down: {@link whenUp} waits for it, {@link store} is undefined.
 */
export class LocalModeProcess {
  private child: LoggedChild | undefined;
  private current:
    | {
        url: string;
        store: DynamoStore;
        client: DynamoDBClient;
        tableName: string;
        sfn: SFNClient;
        stateMachineArn: string;
      }
    | undefined;
  private waiting: Array<() => void> = [];
  private readonly log: WriteStream;
  /** How many times it was started (each start a "life"). */
  lives = 0;
  /** Exits nobody asked for (a crash), with their code or signal and the last output. */
  readonly crashes: Array<{ exit: string; lastOutput: string }> = [];

  constructor(private readonly options: { dataDir: string; env: NodeJS.ProcessEnv; logFile: string }) {
    this.log = openLog(options.logFile);
  }

  /** The webhook base URL while up. */
  get url(): string | undefined {
    return this.current?.url;
  }

  /** A store over this life's dynalite while up. */
  get store(): DynamoStore | undefined {
    return this.current?.store;
  }

  /** This life's DynamoDB client and table, for checks below the store's ports. */
  get dynamo(): { client: DynamoDBClient; tableName: string } | undefined {
    return this.current && { client: this.current.client, tableName: this.current.tableName };
  }

  /**
   * The money facts kept on a payment item (`provider:store:<payment id>`): what came for a payment naming only it (a
   * Stripe refund by PaymentIntent) before or after an order claimed it. Undefined while no such item exists; throws
   * while down. Read below the store's ports, which have no reader for it (the workflow only writes it).
   */
  async paymentFacts(paymentKey: string): Promise<MoneyFact[] | undefined> {
    const current = this.current;
    if (!current) throw new Error('local mode is down');
    const { Item } = await DynamoDBDocumentClient.from(current.client).send(
      new GetCommand({
        TableName: current.tableName,
        Key: ItemKeys.payment(paymentKey),
        ConsistentRead: true,
      }),
    );
    return Item ? ((Item.facts as MoneyFact[] | undefined) ?? []) : undefined;
  }

  /** Executions running now (Step Functions' ListExecutions on local mode's stand-in); throws while down. */
  async runningExecutions(): Promise<number> {
    const current = this.current;
    if (!current) throw new Error('local mode is down');
    let running = 0;
    for await (const page of paginateListExecutions(
      { client: current.sfn },
      { stateMachineArn: current.stateMachineArn, statusFilter: 'RUNNING' },
    )) {
      running += page.executions?.length ?? 0;
    }
    return running;
  }

  get up(): boolean {
    return this.current !== undefined;
  }

  /** Resolves once local mode is up (at once if it is). */
  whenUp(): Promise<void> {
    if (this.current) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Starts it and waits for its "local mode ready" line. */
  async start(): Promise<void> {
    if (this.child) throw new Error('local mode is already running');
    this.lives += 1;
    this.log.write(`\n----- soak: local mode start #${this.lives} -----\n`);
    const { child, value: url } = await LoggedChild.waitForLine(
      (onLine) =>
        new LoggedChild(
          spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
            cwd: REPO_ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: {
              ...this.options.env,
              LOCAL_DATA_DIR: this.options.dataDir,
              LOCAL_LOG_FORMAT: 'json',
              PORT: '0',
            },
          }),
          this.log,
          onLine,
        ),
      (line) => {
        const json = jsonLine(line);
        return json?.message === 'local mode ready' ? (json.url as string) : undefined;
      },
      120_000,
      'local mode',
    );
    this.child = child;
    void child.exited.then((exit) => {
      if (this.child !== child) return;
      // Not ended by us: down until someone starts it again.
      this.crashes.push({ exit: String(exit.code ?? exit.signal), lastOutput: child.lastOutput });
      this.current?.client.destroy();
      this.current?.sfn.destroy();
      this.current = undefined;
      this.child = undefined;
    });
    const info = readRuntimeInfo(this.options.dataDir);
    if (!info) throw new Error('local mode was ready without a runtime.json');
    const client = new DynamoDBClient({
      endpoint: info.endpoints.dynamodb,
      region: info.region,
      credentials: LOCAL_AWS_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: CLIENT_TIMEOUTS,
    });
    this.current = {
      url,
      store: createDynamoStore({ tableName: info.tableName, client }),
      client,
      tableName: info.tableName,
      sfn: new SFNClient({
        endpoint: info.endpoints.sfn,
        region: info.region,
        credentials: LOCAL_AWS_CREDENTIALS,
        requestHandler: CLIENT_TIMEOUTS,
      }),
      stateMachineArn: info.stateMachineArn,
    };
    for (const resume of this.waiting.splice(0)) resume();
  }

  /** SIGKILL: nothing of the process runs another instruction. Resolves once it has exited. */
  async kill(): Promise<Exit> {
    return this.end('SIGKILL');
  }

  /** SIGTERM: local mode's clean stop. Resolves with its exit (code 0 when it stopped cleanly). */
  async stop(): Promise<Exit> {
    return this.end('SIGTERM');
  }

  /** Stops it if running and closes the log; after this it cannot be started again. */
  async close(): Promise<void> {
    if (this.child) await this.end('SIGKILL');
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private async end(signal: NodeJS.Signals): Promise<Exit> {
    const child = this.child;
    if (!child) throw new Error('local mode is not running');
    this.child = undefined;
    this.current?.client.destroy();
    this.current?.sfn.destroy();
    this.current = undefined;
    const exit = await endProcess(child, signal);
    this.log.write(`\n----- soak: local mode ended (${exit.code ?? exit.signal}) -----\n`);
    return exit;
  }
}
