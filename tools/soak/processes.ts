/**
 * The soak's child processes: the Yay sandbox on its own (its ledger outlives local mode, as Yay outlives us)
 * driven through its control port, and local mode — `npm start`'s entry point, `bin/start.ts`, run
 * directly by Node so that a SIGKILL reaches the process that holds the state (npm and tsx's CLI would each put a
 * parent in between that a kill stops while the runtime lives on). Every byte either child prints goes to a log
 * file, so the run can be read afterwards and scanned for secrets without holding it in memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { paginateListExecutions, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { REPO_ROOT } from '../../local/aws/lambda';
import { LOCAL_AWS_CREDENTIALS, readRuntimeInfo } from '../../local/runtime-info';
import type { SandboxFaults, SandboxState } from '../../local/yay-sandbox/server';
import type { MoneyFact } from '../../shared/domain/money';
import { createDynamoStore, type DynamoStore, ItemKeys } from '../../shared/store';

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** The harness must stop by itself: no call to local mode may hang it (the SDK has no timeout by default). */
const CLIENT_TIMEOUTS = { connectionTimeout: 2_000, requestTimeout: 15_000 };

/** How long a SIGTERM may take before the process is SIGKILLed (and the stop reported as not clean). */
const STOP_TIMEOUT_MS = 30_000;

/** Sends `signal`, and SIGKILL if the process has not exited within {@link STOP_TIMEOUT_MS}. */
async function endProcess(child: LoggedChild, signal: NodeJS.Signals): Promise<Exit> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.exited;
  child.process.kill(signal);
  if (signal === 'SIGKILL') return child.exited;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
  });
  const exit = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (exit !== 'late') return exit;
  child.process.kill('SIGKILL');
  await child.exited;
  return { code: null, signal: 'SIGKILL' };
}

/** A child process whose output is appended to a file; the last few KB are kept for error messages. */
class LoggedChild {
  readonly exited: Promise<Exit>;
  private tail = '';
  private pending = '';

  constructor(
    readonly process: ChildProcess,
    log: WriteStream,
    onLine: (line: string) => void,
  ) {
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
    const take = (chunk: Buffer, lines: boolean) => {
      const text = chunk.toString('utf8');
      log.write(text);
      this.tail = (this.tail + text).slice(-4_000);
      if (!lines) return;
      this.pending += text;
      const parts = this.pending.split('\n');
      this.pending = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    };
    process.stdout?.on('data', (chunk: Buffer) => take(chunk, true));
    process.stderr?.on('data', (chunk: Buffer) => take(chunk, false));
  }

  get lastOutput(): string {
    return this.tail;
  }

  /** Resolves with the first line `match` accepts, or rejects when the child exits or `timeoutMs` passes. */
  static async waitForLine<T>(
    spawnChild: (onLine: (line: string) => void) => LoggedChild,
    match: (line: string) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<{ child: LoggedChild; value: T }> {
    let found: (value: T) => void = () => undefined;
    const value = new Promise<T>((resolve) => {
      found = resolve;
    });
    const child = spawnChild((line) => {
      const matched = match(line);
      if (matched !== undefined) found(matched);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        value,
        child.exited.then(({ code, signal }) => {
          throw new Error(`${what} exited (${code ?? signal}) before it was ready:\n${child.lastOutput}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${what} was not ready within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return { child, value: result };
    } catch (error) {
      child.process.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function openLog(file: string): WriteStream {
  return createWriteStream(file, { flags: 'a' });
}

/** The sandbox's ledger as its control port answers it. */
export type SandboxLedgerState = SandboxState & { held: number };

/** A Yay sandbox in its own process (`bin/yay-sandbox.ts --admin`), and its control port. */
export interface SandboxProcess {
  readonly url: string;
  readonly adminUrl: string;
  setFaults(faults: SandboxFaults): Promise<void>;
  faultCounts(): Promise<Record<string, number>>;
  state(): Promise<SandboxLedgerState>;
  stop(): Promise<Exit>;
}

async function control(url: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await response.json()) as unknown;
  if (!response.ok) {
    throw new Error(`sandbox control ${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
  }
  return json;
}

export async function startSandboxProcess(options: {
  env: NodeJS.ProcessEnv;
  /** GBP, three decimals, e.g. "100000.000". */
  resellerBalance: string;
  logFile: string;
}): Promise<SandboxProcess> {
  const log = openLog(options.logFile);
  const { child, value } = await LoggedChild.waitForLine(
    (onLine) =>
      new LoggedChild(
        spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'bin/yay-sandbox.ts',
            '--admin',
            '--json',
            '--reseller-balance',
            options.resellerBalance,
          ],
          { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...options.env, PORT: '0' } },
        ),
        log,
        onLine,
      ),
    (line) => {
      const json = jsonLine(line);
      return json?.message === 'yay sandbox ready' ? (json as { url: string; adminUrl: string }) : undefined;
    },
    60_000,
    'the Yay sandbox',
  );
  const { url, adminUrl } = value;
  return {
    url,
    adminUrl,
    async setFaults(faults) {
      await control(`${adminUrl}/faults`, 'PUT', faults);
    },
    async faultCounts() {
      return ((await control(`${adminUrl}/fault-counts`, 'GET')) as { faultCounts: Record<string, number> })
        .faultCounts;
    },
    async state() {
      return (await control(`${adminUrl}/state`, 'GET')) as SandboxLedgerState;
    },
    async stop() {
      const exit = await endProcess(child, 'SIGTERM');
      await new Promise<void>((resolve) => log.end(resolve));
      return exit;
    },
  };
}

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

/**
 * Occurrences of each secret in a file, read in chunks with an overlap as long as the longest secret so one
 * cut across two chunks is still found. Patterns are searched per chunk (they are short, bounded tokens).
 */
export async function countSecrets(
  file: string,
  secrets: readonly string[],
  patterns: readonly RegExp[] = [],
): Promise<number> {
  const overlap = Math.max(0, ...secrets.map((secret) => secret.length)) + 64;
  let carried = '';
  let hits = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = carried + (chunk as string);
    // Count a hit only if it ends past the carried part: the overlap was already searched.
    for (const secret of secrets) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
        if (at + secret.length > carried.length) hits += 1;
      }
    }
    for (const pattern of patterns) {
      for (const match of text.matchAll(new RegExp(pattern.source, 'g'))) {
        if ((match.index ?? 0) + match[0].length > carried.length) hits += 1;
      }
    }
    carried = text.slice(-overlap);
  }
  return hits;
}
