/**
 * Local mode (DESIGN.md §8): the deployed workflow on one machine, assembled from the synthesized template.
 *
 *   webhook ─HTTP─▶ webhook-intake ─PutEvents─▶ LocalEventBus ─rule─▶ dispatch ─StartExecution─▶ LocalStepFunctions
 *   LocalStepFunctions (aws-local-stepfunctions) ─Task─▶ LocalLambda ─▶ functions/<name>/handler.ts
 *   handlers ─AWS_ENDPOINT_URL_*─▶ loopback stand-ins (SFN, EventBridge, Secrets Manager, SES) and a proxy to
 *            dynalite, each checking the call against the calling function's role in the template (IAM);
 *            ─YAY_API_BASE_URL─▶ the Yay sandbox (or a real endpoint)
 *
 * Local mode only swaps adapters: every step, the schedules included, runs the unmodified handler. Everything
 * listens on 127.0.0.1. State lives under LOCAL_DATA_DIR (see local/README.md): dynalite's leveldb, the
 * executions log (`executions.jsonl`), the accepted events (`events.jsonl`), the naming key, and
 * `runtime.json` (endpoints, for the ops CLI) while running.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Millis } from '../../shared/domain/credit';
import type { OrderState } from '../../shared/domain/order-state';
import { OUTBOUND_SOURCE } from '../../shared/domain/outbound-events';
import type { YayCredentials } from '../../shared/secrets';
import { createDynamoStore, createTable, type DynamoStore, isTerminal } from '../../shared/store';
import { createNotificationStores, type NotificationStores } from '../../shared/store/dynamo-store';
import { type ConfiguredStoreFronts, storeFrontsFromEnv } from '../../shared/store-fronts';
import type { RetryReport } from '../../shared/workflow/notify';
import type { SweepReport } from '../../shared/workflow/sweep';
import { pickYaySettingsEnv } from '../../shared/yay/settings';
import { readRequestBody } from '../aws/aws-json';
import { repairLocalIndexes } from '../aws/dynamodb/index-repair';
import { startDynamoDbProxy } from '../aws/dynamodb/proxy';
import { LocalEventBus, localLogGroupFile, type PutEventsEntry } from '../aws/event-bus/bus';
import { sendHttpApiResult, toHttpApiEvent } from '../aws/http-adapter';
import { LocalLambda, lambdaServiceHandler } from '../aws/lambda';
import { listOutbox, type OutboxMessage } from '../aws/outbox';
import { parseSchedule } from '../aws/schedules';
import { LocalSecretIds, LocalSecrets } from '../aws/secrets';
import { localSesHandler, SesHolds, sesSendEventDetail } from '../aws/ses';
import { LocalStepFunctions } from '../aws/step-functions/engine';
import { synthesizeLocalTemplate } from '../aws/template/synthesize';
import { type CfnTemplate, LOCAL_REGION, type LocalTemplate } from '../aws/template/types';
import { LOCAL_EMAIL_CONTEXT, type LocalConfig, localSynthContext, readLocalConfig } from '../config';
import { type AccessDenial, LocalAccess } from '../iam/access';
import { installCallerStamp } from '../iam/caller';
import { PolicyShapeError } from '../iam/policy';
import { type LocalRole, readLocalRoles } from '../iam/roles';
import { type LoopbackServer, listen, listenLoopback } from '../listen';
import { LOCAL_AWS_CREDENTIALS, type RuntimeInfo, readRuntimeInfo, writeRuntimeInfo } from '../runtime-info';
import {
  DEFAULT_STORE_FRONT,
  type SandboxOptions,
  type SandboxStoreFront,
  startYaySandbox,
  type YaySandbox,
} from '../yay-sandbox/server';
import { formatLogLine } from './log-line';
import { type LineSink, progressPrinter } from './progress';

// dynalite ships CommonJS without types; the worker requires it by the path resolved here.
const requireFromHere = createRequire(import.meta.url);

/** Local table and bus names: what the handlers are told through TABLE_NAME / EVENT_BUS_NAME. */
export const LOCAL_TABLE_NAME = 'yay-provisioning';
export const LOCAL_BUS_NAME = 'yay-provisioning';

export type { RuntimeInfo } from '../runtime-info';

/** An order as the ops CLI sees it: no task token, with its transfer intent. */
export type OrderDetails = NonNullable<Awaited<ReturnType<DynamoStore['getOrder']>>>;

export interface StartLocalOptions {
  /** Where configuration is read from (DESIGN.md §9 variables). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Overrides of the configuration read from `env` (tests use port 0 and their own data dir). */
  readonly overrides?: Partial<Pick<LocalConfig, 'port' | 'dataDir' | 'maxWaitSeconds' | 'logFormat'>>;
  /** Options for the in-process Yay sandbox (ignored when YAY_API_BASE_URL is set). */
  readonly sandbox?: Omit<SandboxOptions, 'credentials' | 'storeFronts'>;
  /** Where progress lines go. Default stdout; `() => {}` for none. */
  readonly print?: LineSink;
  /** Run the template's schedules on timers (the sweep at once). Default true. */
  readonly schedules?: boolean;
  /**
   * CDK context as `npm start -- -c key=value` gives it: on top of cdk.json, local mode's defaults and the
   * environment's `CDK_CONTEXT_JSON` (see `localSynthContext`).
   */
  readonly context?: Record<string, unknown>;
  /**
   * Test-only: edits the synthesized provisioning template before local mode reads it — a test removes one grant
   * and sees the call denied. Never set by `npm start`. @default the template as synthesized
   */
  readonly amendTemplate?: (provisioning: CfnTemplate) => void;
  /**
   * More routes on the front door, under `prefix`: the operator console (console/local-mode.ts), which bin/start.ts
   * mounts. Local mode knows nothing of what it mounts. @default nothing mounted (`prefix` answers 404)
   */
  readonly mount?: LocalMount;
}

/**
 * Something served on local mode's front door beside the webhooks: answers 503 under its prefix until local mode has
 * started, then is made from what the runtime knows of itself.
 */
export interface LocalMount {
  /** The path it answers under, itself and everything below it, e.g. `/console`. */
  readonly prefix: string;
  create(runtime: { info: RuntimeInfo; yayCredentials: YayCredentials; print: LineSink }): {
    readonly listener: RequestListener;
    /** The address a person opens (the console's carries this start's token); never written to disk. */
    readonly url: string;
    close(): void;
  };
}

/** Local mode's IAM enforcement: the functions' roles as read from the template, and every call they denied. */
export interface LocalIam {
  readonly roles: ReadonlyMap<string, LocalRole>;
  readonly denials: readonly AccessDenial[];
  /** Calls checked so far, by function. */
  readonly checked: ReadonlyMap<string, number>;
}

/** A running local mode. */
export interface LocalRuntime {
  /** `http://127.0.0.1:<port>`: webhooks at `/webhooks/{stripe,shopify,woocommerce}`, `GET /healthz`, the mount. */
  readonly url: string;
  /** What was mounted on the front door (StartLocalOptions.mount) and the address to open it at. */
  readonly mounted: { readonly prefix: string; readonly url: string } | undefined;
  readonly config: LocalConfig;
  readonly info: RuntimeInfo;
  readonly template: LocalTemplate;
  /** The in-process sandbox, or undefined when YAY_API_BASE_URL names another endpoint. */
  readonly sandbox: YaySandbox | undefined;
  readonly workflow: LocalStepFunctions;
  readonly store: DynamoStore;
  /** Invokes one of the template's functions as Lambda would (e.g. `runtime.invoke('sweep', {})`). */
  invoke(functionName: string, payload: unknown): Promise<unknown>;
  /** Runs a schedule's target now, as its timer would. */
  runSchedule(functionName: string): Promise<unknown>;
  /**
   * Resolves with the order once it is terminal and no execution of it runs — or, given `state`, once the order is
   * in that state, running or not; rejects naming the order and its last state after `timeoutMs`.
   */
  waitForOrder(orderKey: string, timeoutMs?: number, state?: OrderState): Promise<OrderDetails>;
  /** Resolves once no execution runs and no bus delivery is in flight. */
  idle(timeoutMs?: number): Promise<void>;
  /** The SES stand-in's holds (fault injection for tests that kill or race a send). */
  readonly sesHolds: SesHolds;
  /** Where the SES stand-in writes each message: `<dataDir>/outbox`. */
  readonly outboxDir: string;
  /** Every call to a stand-in is checked against the calling function's role (local/iam/access.ts). */
  readonly iam: LocalIam;
  /** The AWS JSON operations each stand-in serves (anything else answers UnknownOperationException). */
  readonly awsOperations: Readonly<Record<'sfn' | 'eventbridge' | 'secretsManager', readonly string[]>>;
  /** Stops timers, servers, executions (recorded ABORTED), dynalite and the sandbox. */
  stop(): Promise<void>;
}

let active: Promise<LocalRuntime> | undefined;
/** Ports of the stand-ins of the first runtime of this process: handlers' SDK clients keep pointing there. */
let standInPorts:
  | {
      sfn: number;
      eventbridge: number;
      secrets: number;
      dynamodb: number;
      ses: number;
      lambda: number;
      yay?: number;
    }
  | undefined;

function scheduledEvent(id: string): unknown {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${id}`],
    detail: {},
  };
}

/** EventBridge Scheduler fills its context attributes into the target input; so does local mode. */
function schedulerInput(input: unknown): unknown {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.parse(
    JSON.stringify(input)
      .replaceAll('<aws.scheduler.scheduled-time>', now)
      .replaceAll('<aws.scheduler.execution-id>', randomUUID())
      .replaceAll('<aws.scheduler.attempt-number>', '0'),
  );
}

/**
 * A generated key kept under the data dir (mode 0600): the naming key (customer names must derive the same way
 * after a restart) and the password key (a welcome after a restart must open what was sealed before it).
 */
function dataDirKey(dataDir: string, name: 'naming-key' | 'password-key'): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/**
 * dynalite in a worker thread: it gets the second core (it and leveldb are a good share of local mode's
 * CPU), it still dies with the process on a kill (so the leveldb lock is released), and an error inside it
 * (leveldb refusing the folder) arrives as a message instead of crashing local mode.
 */
const DYNALITE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalite);
const server = dynalite({ path: workerData.path, createTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => {
  server.close(() => parentPort.postMessage({ closed: true }));
  server.closeAllConnections();
});
`;

async function startDynalite(
  dataDir: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const worker = new Worker(DYNALITE_WORKER, {
    eval: true,
    workerData: { dynalite: requireFromHere.resolve('dynalite'), path: join(dataDir, 'dynamodb'), port },
  });
  const actual = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(`dynalite could not start: ${message.error}`)),
    );
  });
  return {
    url: `http://127.0.0.1:${actual}`,
    close: async () => {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await worker.terminate();
    },
  };
}

/**
 * Starts local mode: the real workflow on one machine (DESIGN.md §8). One per process — the handlers
 * build their AWS clients at import, so the stand-ins' endpoints are fixed for the process's lifetime;
 * a second start after `stop()` binds the same stand-in ports again.
 */
export function startLocal(options: StartLocalOptions = {}): Promise<LocalRuntime> {
  let config: LocalConfig;
  let context: Record<string, unknown>;
  try {
    // Configuration first: a bad variable is reported as such, and nothing is started or written.
    config = { ...readLocalConfig(options.env ?? process.env), ...options.overrides };
    context = localSynthContext(
      {
        'yay:apiBaseUrl': 'https://api.yay.com',
        // cdk.json's store front is a placeholder; the sandbox's (or YAY_STORE_FRONT) is the default here.
        'yay:storeFront': config.yayStoreFront ?? DEFAULT_STORE_FRONT.uuid,
        // E-mail on, from a placeholder: the outbox shows what buyers would receive. `-c provisioning:emailSender=`
        // turns it off; a real sender and sign-in address can be given the same way.
        ...LOCAL_EMAIL_CONTEXT,
      },
      options.env ?? process.env,
      options.context,
    );
  } catch (error) {
    return Promise.reject(error);
  }
  if (active) {
    return Promise.reject(
      new Error('local mode is already running in this process (one runtime per process)'),
    );
  }
  active = start(options, config, context).catch((error: unknown) => {
    active = undefined;
    throw error;
  });
  return active;
}

const MAX_WEBHOOK_BYTES = 6 * 1024 * 1024;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** What a start has set up so far, stopped in reverse order; one failure does not stop the rest. */
class Cleanups {
  private readonly steps: Array<() => Promise<void> | void> = [];

  push(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Keep stopping the rest: a half-stopped runtime would hold ports and the leveldb lock.
      }
    }
  }
}

async function start(
  options: StartLocalOptions,
  config: LocalConfig,
  context: Record<string, unknown>,
): Promise<LocalRuntime> {
  const print: LineSink = options.print ?? ((line) => process.stdout.write(`${line}\n`));
  claimDataDir(config.dataDir);
  quietPowertools(config);
  const cleanups = new Cleanups();
  try {
    // First, so a bad context key fails before anything listens.
    const template = await synthesizeLocalTemplate(context, {
      ...(options.amendTemplate ? { amend: options.amendTemplate } : {}),
    });
    const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:000000000000:stateMachine:${template.stateMachineName}`;
    // Then the roles: a policy local mode cannot evaluate fails the start, before anything listens.
    const access = new LocalAccess(readRoles(template, stateMachineArn), (denial) =>
      printDenial(config, print, denial),
    );
    installCallerStamp();
    // Read from create-customer's environment exactly as its handler will read it.
    const storeFronts = storeFrontsFromEnv({ ...template.functions.get('create-customer')?.environment });
    const standIns = await startStandIns(config, cleanups, access, template.secrets);
    const sandbox = await startSandbox(config, options.sandbox, storeFronts, cleanups);
    const yayUrl = config.yayApiBaseUrl ?? (sandbox as YaySandbox).url;
    standInPorts ??= {
      sfn: standIns.sfn.port,
      eventbridge: standIns.eventbridge.port,
      secrets: standIns.secretsManager.port,
      dynamodb: Number(new URL(standIns.dynamodbUrl).port),
      ses: standIns.ses.port,
      lambda: standIns.lambda.port,
      ...(sandbox ? { yay: Number(new URL(sandbox.url).port) } : {}),
    };
    setHandlerEnvironment(template, config, standIns, yayUrl, stateMachineArn);
    const { store, notifications } = await openTable(standIns.dynamodbUrl, cleanups);

    const lambda = new LocalLambda(template.functions);
    await lambda.preload();
    // Every invocation may have changed an order: waitForOrder looks again when one settles.
    const changes = new EventEmitter<{ change: [] }>();
    changes.setMaxListeners(0);
    const invoke = (name: string, payload: unknown) =>
      lambda.invoke(name, payload).finally(() => changes.emit('change'));

    const workflow = startEngine(template, config, invoke, print, cleanups);
    workflow.events.on('closed', () => changes.emit('change'));
    const bus = startBus(template, config, invoke, print, cleanups);
    const outboxDir = join(config.dataDir, 'outbox');
    const sesHolds = new SesHolds();
    standIns.attach(workflow, bus, {
      ses: localSesHandler({
        access: access.check,
        outboxDir,
        templates: template.emailTemplates,
        holds: sesHolds,
        // SES's event publishing: "Email Sent" on the default bus, durable before SES answers.
        onAccepted: async (message) => {
          await bus.accept([emailSentEntry(message)]);
        },
      }),
      lambda: lambdaServiceHandler(invoke),
    });
    const redelivered = bus.redeliver();
    if (redelivered > 0) {
      print(
        formatLogLine(config.logFormat, {
          level: 'INFO',
          message: 'delivering again events a previous process accepted',
          fields: { events: redelivered },
        }),
      );
    }

    const mountRoute: MountRoute | undefined = options.mount ? { prefix: options.mount.prefix } : undefined;
    const url = await startWebhookServer(config.port, invoke, print, cleanups, mountRoute);
    const info: RuntimeInfo = {
      pid: process.pid,
      url,
      region: LOCAL_REGION,
      stateMachineArn,
      tableName: LOCAL_TABLE_NAME,
      eventBusName: LOCAL_BUS_NAME,
      startedAt: new Date().toISOString(),
      endpoints: {
        sfn: standIns.sfn.url,
        eventbridge: standIns.eventbridge.url,
        secretsManager: standIns.secretsManager.url,
        dynamodb: standIns.dynamodbUrl,
        ses: standIns.ses.url,
        lambda: standIns.lambda.url,
        yay: yayUrl,
      },
      storeFronts,
      // As transfer-credit reads them: the Yay functions all get the same ones.
      yaySettings: pickYaySettingsEnv(template.functions.get('transfer-credit')?.environment),
      outboxDir,
      outboundEventsFile: outboundEventsFile(template, config.dataDir),
      notifyFunction: 'notify',
    };
    cleanups.push(writeRuntimeInfo(config.dataDir, info));
    const mounted = options.mount?.create({ info, yayCredentials: config.yayCredentials, print });
    if (mountRoute && mounted) {
      mountRoute.listener = mounted.listener;
      cleanups.push(() => mounted.close());
    }

    const schedules = localSchedules(template, invoke, print, cleanups);
    // SES stood in for by this process died with a killed one: what it accepted but had not yet announced is
    // announced now, as SES would have (its files are in the outbox), before anything could send it again.
    await bus.idle();
    await announceOutbox(notifications, outboxDir, bus);
    if (options.schedules !== false) {
      // The sweep right away (after the redeliveries: it must not race a dispatch), then on its rate.
      await bus.idle();
      await startupSweep(schedules, print);
      await startupEmailRetry(template, schedules, print);
      schedules.startTimers();
    }

    return {
      url,
      mounted: options.mount && mounted ? { prefix: options.mount.prefix, url: mounted.url } : undefined,
      config,
      info,
      template,
      sandbox,
      workflow,
      store,
      invoke,
      runSchedule: (functionName) => schedules.run(functionName),
      waitForOrder: (orderKey, timeoutMs = 30_000, state) =>
        waitForOrder({ store, workflow, changes }, orderKey, timeoutMs, state),
      async idle(timeoutMs = 60_000) {
        await bus.idle();
        await workflow.idle(timeoutMs);
        await bus.idle();
      },
      sesHolds,
      outboxDir,
      iam: { roles: access.roles, denials: access.denials, checked: access.checked },
      awsOperations: standIns.operations(),
      async stop() {
        sesHolds.release();
        await cleanups.run();
        active = undefined;
      },
    };
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}

/** One data dir, one local mode: leveldb would refuse the second opener with an uncatchable error. */
function claimDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const previous = readRuntimeInfo(dataDir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new Error(
      `local mode is already running for data dir ${dataDir} (pid ${previous.pid}, ${previous.url}); ` +
        'stop it or set LOCAL_DATA_DIR to another folder',
    );
  }
}

/**
 * Powertools reads these when its Logger/Metrics are built, and the CDK constructs import them during the
 * synthesis: set first. Human progress replaces the handlers' JSON logs; with LOCAL_LOG_FORMAT=json they
 * are shown too. EMF metrics have no CloudWatch to go to here.
 */
function quietPowertools(config: LocalConfig): void {
  Object.assign(process.env, {
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_TRACE_ENABLED: 'false',
    // With tracing off nothing reads the X-Ray SDK's automatic (cls-hooked) context, yet creating it at
    // import installs an async hook with destroy tracking on every promise of the process: in a profile,
    // a tenth of the main thread plus the garbage it leaves. Manual mode skips the hook; the Tracer still
    // wraps the clients and handlers as deployed (and does nothing, as tracing is off).
    AWS_XRAY_MANUAL_MODE: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL:
      config.logFormat === 'json' ? (process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO') : 'SILENT',
  });
}

/** The AWS services the handlers call, on loopback: dynalite and the SFN, EventBridge, Secrets stand-ins. */
interface StandIns {
  readonly dynamodbUrl: string;
  readonly sfn: LoopbackServer;
  readonly eventbridge: LoopbackServer;
  readonly secretsManager: LoopbackServer;
  /** SES v2 SendEmail (the outbox) and Lambda Invoke (for the ops CLI). */
  readonly ses: LoopbackServer;
  readonly lambda: LoopbackServer;
  /** What the SFN, EventBridge and Secrets Manager stand-ins serve, once attached. */
  operations(): LocalRuntime['awsOperations'];
  /**
   * Serves SFN, EventBridge, SES and Lambda from the engine, the bus and the handlers, which can only be built once
   * the handlers' environment is set.
   */
  attach(
    workflow: LocalStepFunctions,
    bus: LocalEventBus,
    handlers: { ses: RequestHandler; lambda: RequestHandler },
  ): void;
}

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * Starts the stand-ins, on the ports of this process's first runtime (the handlers' clients keep them), each
 * enforcing `access`. DynamoDB is dynalite behind a proxy that enforces it; dynalite itself gets a new port each time.
 */
async function startStandIns(
  config: LocalConfig,
  cleanups: Cleanups,
  access: LocalAccess,
  secretMetadata: LocalTemplate['secrets'],
): Promise<StandIns> {
  const dynalite = await startDynalite(config.dataDir, 0);
  cleanups.push(() => dynalite.close());
  const dynamo = await startDynamoDbProxy({
    target: () => dynalite.url,
    access: access.check,
    port: standInPorts?.dynamodb ?? 0,
  });
  cleanups.push(() => dynamo.close());
  let sfnHandler: RequestHandler | undefined;
  let busHandler: RequestHandler | undefined;
  let operations: LocalRuntime['awsOperations'] | undefined;
  let sesHandler: RequestHandler | undefined;
  let lambdaHandler: RequestHandler | undefined;
  const notYet: RequestHandler = (_req, res) => json(res, 503, { message: 'local mode is starting' });
  const sfn = await listenLoopback((req, res) => (sfnHandler ?? notYet)(req, res), standInPorts?.sfn ?? 0);
  cleanups.push(() => sfn.close());
  const eventbridge = await listenLoopback(
    (req, res) => (busHandler ?? notYet)(req, res),
    standInPorts?.eventbridge ?? 0,
  );
  cleanups.push(() => eventbridge.close());
  const ses = await listenLoopback((req, res) => (sesHandler ?? notYet)(req, res), standInPorts?.ses ?? 0);
  cleanups.push(() => ses.close());
  const lambda = await listenLoopback(
    (req, res) => (lambdaHandler ?? notYet)(req, res),
    standInPorts?.lambda ?? 0,
  );
  cleanups.push(() => lambda.close());
  const secrets = new LocalSecrets();
  // What DescribeSecret shows of each: the template's secret behind the variable the functions read it from.
  const about = (arn: string) => {
    const variable = Object.entries(localReferences('')).find(([, value]) => value === arn)?.[0];
    return (variable && secretMetadata?.[variable]) || undefined;
  };
  secrets.set(LocalSecretIds.yay, config.yayCredentials, about(LocalSecretIds.yay));
  secrets.set(
    LocalSecretIds.webhooks,
    {
      stripe: [config.webhookSecrets.stripe],
      shopify: [config.webhookSecrets.shopify],
      woocommerce: [config.webhookSecrets.woocommerce],
    },
    about(LocalSecretIds.webhooks),
  );
  secrets.set(
    LocalSecretIds.namingKey,
    { key: dataDirKey(config.dataDir, 'naming-key') },
    about(LocalSecretIds.namingKey),
  );
  secrets.set(
    LocalSecretIds.passwordKey,
    { key: dataDirKey(config.dataDir, 'password-key') },
    about(LocalSecretIds.passwordKey),
  );
  const secretsHandler = secrets.serviceHandler(access.check);
  const secretsManager = await listenLoopback(secretsHandler, standInPorts?.secrets ?? 0);
  cleanups.push(() => secretsManager.close());
  return {
    dynamodbUrl: dynamo.url,
    sfn,
    eventbridge,
    secretsManager,
    ses,
    lambda,
    operations: () => {
      if (!operations) throw new Error('the stand-ins are not attached yet');
      return operations;
    },
    attach(workflow, bus, handlers) {
      const sfnServed = workflow.serviceHandler(access.check);
      const busServed = bus.serviceHandler(access.check);
      sfnHandler = sfnServed;
      busHandler = busServed;
      operations = {
        sfn: sfnServed.operations,
        eventbridge: busServed.operations,
        secretsManager: secretsHandler.operations,
      };
      sesHandler = handlers.ses;
      lambdaHandler = handlers.lambda;
    },
  };
}

/** The in-process Yay sandbox, unless YAY_API_BASE_URL names another endpoint (then undefined). */
async function startSandbox(
  config: LocalConfig,
  options: StartLocalOptions['sandbox'],
  storeFronts: ConfiguredStoreFronts,
  cleanups: Cleanups,
): Promise<YaySandbox | undefined> {
  if (config.yayApiBaseUrl) return undefined;
  const sandbox = await startYaySandbox({
    resellerBalance: 100_000 as Millis,
    // The handlers keep the Yay base URL they read at import: a later runtime reuses the port.
    ...(standInPorts?.yay ? { port: standInPorts.yay } : {}),
    ...options,
    credentials: config.yayCredentials,
    storeFronts: sandboxStoreFronts(storeFronts),
  });
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

/**
 * What local mode tells the handlers in place of the template's references to AWS resources: the local table, bus,
 * state machine and secrets. The roles are read with the same map (the template's resource behind each variable is
 * the local one), so a grant names exactly what the handler is given.
 */
export function localReferences(stateMachineArn: string): Record<string, string> {
  return {
    TABLE_NAME: LOCAL_TABLE_NAME,
    EVENT_BUS_NAME: LOCAL_BUS_NAME,
    STATE_MACHINE_ARN: stateMachineArn,
    YAY_SECRET_ARN: LocalSecretIds.yay,
    WEBHOOK_SECRET_ARN: LocalSecretIds.webhooks,
    NAMING_KEY_SECRET_ARN: LocalSecretIds.namingKey,
    PASSWORD_KEY_SECRET_ARN: LocalSecretIds.passwordKey,
  };
}

/** The functions' roles, or a start that fails naming the policy shape local mode cannot evaluate. */
function readRoles(template: LocalTemplate, stateMachineArn: string): ReadonlyMap<string, LocalRole> {
  try {
    return readLocalRoles(template.templates, localReferences(stateMachineArn));
  } catch (error) {
    if (!(error instanceof PolicyShapeError)) throw error;
    throw new Error(`local mode cannot enforce the template's IAM policies: ${error.message}`, {
      cause: error,
    });
  }
}

/** A denied call, on the progress log: a green flow never prints one. */
function printDenial(config: LocalConfig, print: LineSink, denial: AccessDenial): void {
  print(
    formatLogLine(config.logFormat, {
      level: 'WARN',
      message: 'access denied',
      fields: { function: denial.functionName, action: denial.action, resource: denial.resource },
      text: `access denied: ${denial.functionName} may not ${denial.action} on ${denial.resource}`,
    }),
  );
}

/**
 * The handlers' environment: the constant settings the template gives the functions (catalog, payment
 * window, Powertools names), then what only local mode knows (endpoints, names, secret ids). Set before any
 * handler module is imported: they read it at import.
 */
function setHandlerEnvironment(
  template: LocalTemplate,
  config: LocalConfig,
  standIns: StandIns,
  yayUrl: string,
  stateMachineArn: string,
): void {
  for (const fn of template.functions.values()) {
    // NODE_OPTIONS is for the Lambda runtime (here it would leak into child processes); the log level
    // is local mode's choice (quietPowertools).
    const { NODE_OPTIONS: _nodeOptions, POWERTOOLS_LOG_LEVEL: _level, ...environment } = fn.environment;
    Object.assign(process.env, environment);
  }
  const paymentWindow = Number(process.env.PAYMENT_WINDOW_SECONDS);
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SFN: standIns.sfn.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: standIns.eventbridge.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standIns.secretsManager.url,
    AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamodbUrl,
    AWS_ENDPOINT_URL_SESV2: standIns.ses.url,
    ...localReferences(stateMachineArn),
    YAY_API_BASE_URL: yayUrl,
    // The sweep expires unpaid orders past the window; keep it in step with the capped callback timeout.
    ...(Number.isFinite(paymentWindow)
      ? {
          PAYMENT_WINDOW_SECONDS: String(
            Math.max(1, Math.ceil(Math.min(paymentWindow, config.maxWaitSeconds))),
          ),
        }
      : {}),
  });
}

/** The table, created if new, with the leases of a killed process released; the stores local mode reads. */
async function openTable(
  dynamodbUrl: string,
  cleanups: Cleanups,
): Promise<{ store: DynamoStore; notifications: NotificationStores }> {
  const client = new DynamoDBClient({
    endpoint: dynamodbUrl,
    region: LOCAL_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  cleanups.push(() => client.destroy());
  await createTable(client, LOCAL_TABLE_NAME);
  // A kill can land between dynalite's index and item writes: make the indexes agree before anything reads them.
  await repairLocalIndexes(client, LOCAL_TABLE_NAME);
  await releaseDeadLeases(client);
  return {
    store: createDynamoStore({ tableName: LOCAL_TABLE_NAME, client }),
    notifications: createNotificationStores({ tableName: LOCAL_TABLE_NAME, client }),
  };
}

/** The "Email Sent" event SES publishes for a message of a configuration set with an EventBridge destination. */
function emailSentEntry(message: OutboxMessage): PutEventsEntry {
  return {
    EventBusName: 'default',
    Source: 'aws.ses',
    DetailType: 'Email Sent',
    Detail: JSON.stringify(sesSendEventDetail(message)),
  };
}

/**
 * After a kill: an e-mail still `SENDING` whose message is in the outbox (its attempt tag matches) was accepted by
 * the SES of the killed process, which died before it announced it. Announced now, so the marker settles SENT and
 * no retry sends it again.
 */
async function announceOutbox(
  notifications: NotificationStores,
  outboxDir: string,
  bus: LocalEventBus,
): Promise<void> {
  const sending = (await notifications.emails.listUnsent()).filter((record) => record.status === 'SENDING');
  if (sending.length === 0) return;
  const attempts = new Set(sending.map((record) => record.attemptId));
  const accepted = listOutbox(outboxDir).filter((message) => attempts.has(message.tags.attempt ?? ''));
  if (accepted.length > 0) await bus.accept(accepted.map(emailSentEntry));
  await bus.idle();
}

/** The file the template's outbound-events log group is written to locally (see {@link localLogGroupFile}). */
function outboundEventsFile(template: LocalTemplate, dataDir: string): string | undefined {
  for (const rule of template.rules) {
    const sources = (rule.pattern as { source?: unknown }).source;
    if (!Array.isArray(sources) || !sources.includes(OUTBOUND_SOURCE)) continue;
    const [target] = rule.logGroupTargets ?? [];
    if (target) return localLogGroupFile(dataDir, target.logGroupName);
  }
  return undefined;
}

/** The state machine of the template on aws-local-stepfunctions, its progress printed. */
function startEngine(
  template: LocalTemplate,
  config: LocalConfig,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
): LocalStepFunctions {
  const workflow = new LocalStepFunctions({
    stateMachineName: template.stateMachineName,
    definition: template.definition,
    ...(template.stateMachine ? { stateMachine: template.stateMachine } : {}),
    invoke,
    dataDir: config.dataDir,
    maxWaitSeconds: config.maxWaitSeconds,
  });
  workflow.events.on('history', progressPrinter(config.logFormat, print));
  cleanups.push(() => workflow.shutdown());
  return workflow;
}

/** The template's bus rules, durable under the data dir; a delivery that gives up is printed. */
function startBus(
  template: LocalTemplate,
  config: LocalConfig,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
): LocalEventBus {
  const bus = new LocalEventBus({
    busName: LOCAL_BUS_NAME,
    rules: template.rules,
    invoke,
    dataDir: config.dataDir,
    ...(template.archives ? { archives: template.archives } : {}),
    ...(template.eventBusDescription ? { busDescription: template.eventBusDescription } : {}),
    onDeliveryFailed: (fn, event, error) =>
      print(
        formatLogLine(config.logFormat, {
          level: 'ERROR',
          message: 'event delivery failed',
          fields: { function: fn, detailType: event['detail-type'], error: error.name },
          text: `delivery of "${event['detail-type']}" to ${fn} failed after 3 attempts: ${error.name}`,
        }),
      ),
  });
  cleanups.push(() => bus.close());
  return bus;
}

/** A mounted listener's route: 503 under its prefix until `listener` is set. */
interface MountRoute {
  readonly prefix: string;
  listener?: RequestListener;
}

/**
 * The HTTP API's webhook routes, served as API Gateway serves them (payload limit, 404/405, 500 when the
 * integration fails), plus `GET /healthz` and what is mounted (the operator console under `/console`, once
 * `mount.listener` is set). Resolves with its URL once listening.
 */
async function startWebhookServer(
  port: number,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
  mount: MountRoute | undefined,
): Promise<string> {
  const server = await listen(
    (req, res) => {
      void (async () => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
        if (mount && (path === mount.prefix || path?.startsWith(`${mount.prefix}/`))) {
          if (!mount.listener)
            return json(res, 503, { error: 'starting', message: 'local mode is starting' });
          return mount.listener(req, res);
        }
        if (!/^\/webhooks\/[^/]+$/.test(path ?? '')) {
          return json(res, 404, { error: 'not_found', message: `no route for ${req.method} ${path}` });
        }
        if (req.method !== 'POST') {
          return json(res, 405, { error: 'method_not_allowed', message: 'webhooks are POST only' });
        }
        // API Gateway refuses bodies past its payload limit before the function runs; so does local mode.
        const body = await readRequestBody(req, MAX_WEBHOOK_BYTES);
        if (!body) return json(res, 413, { error: 'payload_too_large', message: 'request body too large' });
        const result = await invoke('webhook-intake', toHttpApiEvent(req, body));
        sendHttpApiResult(res, result as Parameters<typeof sendHttpApiResult>[1]);
      })().catch((error: unknown) => {
        // What API Gateway answers when the integration fails; the cause goes to the progress log by name.
        print(`webhook intake failed: ${error instanceof Error ? error.name : 'error'}`);
        if (!res.headersSent) json(res, 500, { message: 'Internal Server Error' });
      });
    },
    {
      port,
      inUse: (taken) => `PORT ${taken} is already in use: set PORT to a free port (or 0 for any)`,
    },
  );
  cleanups.push(() => server.close());
  return server.url;
}

/** The template's schedules, run as EventBridge Scheduler runs them: the same handler, the same input. */
interface LocalSchedules {
  /**
   * Runs a schedule's target now, as its timer would, with `overrides` on top of the schedule's input. A run
   * while the previous run of the same schedule still runs is skipped (that run's promise is returned).
   */
  run(functionName: string, overrides?: Record<string, unknown>): Promise<unknown>;
  /** Starts every schedule's timer: first at its expression's next time, then at its interval. */
  startTimers(): void;
}

function localSchedules(
  template: LocalTemplate,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
): LocalSchedules {
  const running = new Map<string, Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];
  const run = (functionName: string, overrides: Record<string, unknown> = {}): Promise<unknown> => {
    const schedule = template.schedules.find((s) => s.functionName === functionName);
    if (!schedule) return Promise.reject(new Error(`no schedule targets ${functionName}`));
    const current = running.get(functionName);
    if (current) return current;
    const input = schedule.input === undefined ? scheduledEvent(schedule.id) : schedulerInput(schedule.input);
    const started = invoke(functionName, { ...(input as object), ...overrides }).finally(() =>
      running.delete(functionName),
    );
    running.set(functionName, started);
    return started;
  };
  const tick = (functionName: string) => {
    run(functionName).catch((error: unknown) =>
      print(
        `${functionName} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      ),
    );
  };
  cleanups.push(async () => {
    for (const timer of timers) clearTimeout(timer);
    await Promise.allSettled([...running.values()]);
  });
  return {
    run,
    startTimers() {
      for (const schedule of template.schedules) {
        const parsed = parseSchedule(schedule.expression);
        const first = setTimeout(() => {
          tick(schedule.functionName);
          timers.push(setInterval(() => tick(schedule.functionName), parsed.intervalMs));
        }, parsed.firstDelayMs(new Date()));
        timers.push(first);
      }
    },
  };
}

/**
 * The sweep at start, through its handler with `minAgeSeconds: 0` for this run only: the minimum age keeps
 * the scheduled sweep from racing a dispatch still in flight, and at start nothing of this process is in
 * flight (the bus's redeliveries have finished) while everything of a killed one is gone. So orders a
 * previous process left mid-way are restarted now instead of a quarter of an hour later.
 */
async function startupSweep(schedules: LocalSchedules, print: LineSink): Promise<void> {
  try {
    const report = (await schedules.run('sweep', { minAgeSeconds: 0 })) as SweepReport;
    const resumed = report.restarted.length + report.replayed.length + report.resumed.length;
    if (resumed > 0 || report.expired.length > 0) {
      print(
        `recovery sweep: ${report.restarted.length} restarted, ${report.replayed.length} replayed, ` +
          `${report.resumed.length} resumed, ${report.expired.length} expired`,
      );
    }
  } catch (error) {
    print(`recovery sweep failed: ${error instanceof Error ? error.name : 'error'}`);
  }
}

/**
 * The e-mail retry at start, with `minAgeSeconds: 0` for this run: every attempt of a killed process is dead, and
 * what its SES accepted was announced just before. Nothing when e-mail is off (no such schedule).
 */
async function startupEmailRetry(
  template: LocalTemplate,
  schedules: LocalSchedules,
  print: LineSink,
): Promise<void> {
  if (!template.schedules.some((schedule) => schedule.functionName === 'notify')) return;
  try {
    const report = (await schedules.run('notify', { minAgeSeconds: 0 })) as RetryReport;
    const sent = report.retried.filter((outcome) => outcome.result === 'sent').length;
    if (report.retried.length > 0) print(`e-mail retry: ${sent} of ${report.retried.length} sent`);
  } catch (error) {
    print(`e-mail retry failed: ${error instanceof Error ? error.name : 'error'}`);
  }
}

/**
 * Resolves with the order once it is terminal and no execution of it runs (or, given `state`, once it is in that
 * state). Looks at the table now, then again whenever an execution closes or an invocation settles (whatever
 * changed the order ran as one of those), never on a timer; rejects naming the order and its last state after
 * `timeoutMs`.
 */
function waitForOrder(
  runtime: { store: DynamoStore; workflow: LocalStepFunctions; changes: EventEmitter<{ change: [] }> },
  orderKey: string,
  timeoutMs: number,
  state?: OrderState,
): Promise<OrderDetails> {
  const { store, workflow, changes } = runtime;
  return new Promise((resolve, reject) => {
    let last: OrderDetails | undefined;
    let reading = false;
    let again = false;
    let settled = false;
    const settle = (outcome: () => void) => {
      settled = true;
      clearTimeout(timer);
      changes.off('change', look);
      outcome();
    };
    function look(): void {
      if (settled) return;
      if (reading) {
        again = true;
        return;
      }
      // Waiting for the end: while an execution of it runs, its close is the next change that matters.
      if (state === undefined && workflow.isRunning(orderKey)) return;
      reading = true;
      store
        .getOrder(orderKey)
        .then(
          (order) => {
            last = order;
            const reached =
              state === undefined
                ? order && isTerminal(order.state) && !workflow.isRunning(orderKey)
                : order?.state === state;
            if (order && reached) settle(() => resolve(order));
          },
          (error: unknown) => settle(() => reject(error)),
        )
        .finally(() => {
          reading = false;
          if (again) {
            again = false;
            look();
          }
        });
    }
    const timer = setTimeout(() => {
      if (settled) return;
      settle(() => undefined);
      // Read once more: while an execution ran nothing was read, and the message names the state it is in.
      void store
        .getOrder(orderKey)
        .catch(() => last)
        .then((order) =>
          reject(
            new Error(
              `order ${orderKey} did not ${state ? `reach ${state}` : 'finish'} within ${timeoutMs} ms (last state: ${order ? order.state : 'not recorded'})`,
            ),
          ),
        );
    }, timeoutMs);
    changes.on('change', look);
    look();
  });
}

/**
 * One sandbox store front per configured UUID, so a create under any of them succeeds, named after the stores
 * that use it (the default keeps the sandbox's own name).
 */
function sandboxStoreFronts(configured: ConfiguredStoreFronts): SandboxStoreFront[] {
  const storesOf = new Map<string, string[]>([[configured.default, []]]);
  for (const [store, uuid] of Object.entries(configured.stores)) {
    storesOf.set(uuid, [...(storesOf.get(uuid) ?? []), store]);
  }
  return [...storesOf].map(([uuid, stores]) => ({
    uuid,
    name:
      uuid === configured.default || stores.length === 0
        ? DEFAULT_STORE_FRONT.name
        : `${DEFAULT_STORE_FRONT.name} (${stores.join(', ')})`,
  }));
}

/**
 * Per-customer transfer leases are held only by running invocations, and every invocation of a previous
 * process died with it. On AWS a dead holder's lease lapses after its TTL; here it is certain the holder
 * is gone, so its leases are released at start instead of blocking that customer's transfers for the TTL.
 */
async function releaseDeadLeases(client: DynamoDBClient): Promise<void> {
  const leases = createDynamoStore({ tableName: LOCAL_TABLE_NAME, client });
  for (const lease of await leases.listHeld()) await leases.release(lease.resource, lease.holder);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
