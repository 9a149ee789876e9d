/**
 * Local mode (docs/design.md §8): the deployed workflow on one machine, assembled from the synthesized template.
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
import { EventEmitter } from 'node:events';
import type { RequestListener } from 'node:http';
import { join } from 'node:path';
import type { OrderState } from '../../shared/domain/order-state';
import type { YayCredentials } from '../../shared/secrets';
import type { DynamoStore, OrderView, TransferIntent } from '../../shared/store';
import { storeFrontsFromEnv } from '../../shared/store-fronts';
import { pickYaySettingsEnv } from '../../shared/yay/settings';
import { LocalLambda, lambdaServiceHandler } from '../aws/lambda';
import { localSesHandler, SesHolds } from '../aws/ses';
import type { LocalStepFunctions } from '../aws/step-functions/engine';
import { synthesizeLocalTemplate } from '../aws/template/synthesize';
import { type CfnTemplate, LOCAL_REGION, type LocalTemplate } from '../aws/template/types';
import { LOCAL_EMAIL_CONTEXT, type LocalConfig, localSynthContext, readLocalConfig } from '../config';
import { type AccessDenial, LocalAccess } from '../iam/access';
import { installCallerStamp } from '../iam/caller';
import type { LocalRole } from '../iam/roles';
import { type RuntimeInfo, writeRuntimeInfo } from '../runtime-info';
import { DEFAULT_STORE_FRONT, type SandboxOptions, type YaySandbox } from '../yay-sandbox/server';
import { Cleanups } from './cleanups';
import { claimDataDir } from './data-dir';
import { type MountRoute, startFrontDoor } from './front-door';
import {
  LOCAL_BUS_NAME,
  LOCAL_TABLE_NAME,
  quietPowertools,
  setHandlerEnvironment,
} from './handler-environment';
import { printDenial, readRoles } from './iam';
import { formatLogLine } from './log-line';
import type { LineSink } from './progress';
import { announceOutbox, openTable, startupEmailRetry, startupSweep } from './recovery';
import { startSandbox } from './sandbox';
import { localSchedules } from './schedule-timers';
import { emailSentEntry, outboundEventsFile, startBus, startEngine } from './services';
import { rememberPorts, startStandIns } from './stand-ins';
import { waitForOrder } from './wait-for-order';

export type { RuntimeInfo } from '../runtime-info';

export interface StartLocalOptions {
  /** Where configuration is read from (docs/design.md §9 variables). Default `process.env`. */
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
  waitForOrder(
    orderKey: string,
    timeoutMs?: number,
    state?: OrderState,
  ): Promise<OrderView & { transfer?: TransferIntent }>;
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
/**
 * Starts local mode: the real workflow on one machine (docs/design.md §8). One per process — the handlers
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
    rememberPorts({
      sfn: standIns.sfn.port,
      eventbridge: standIns.eventbridge.port,
      secrets: standIns.secretsManager.port,
      dynamodb: Number(new URL(standIns.dynamodbUrl).port),
      ses: standIns.ses.port,
      lambda: standIns.lambda.port,
      ...(sandbox ? { yay: Number(new URL(sandbox.url).port) } : {}),
    });
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
    const url = await startFrontDoor(config.port, invoke, print, cleanups, mountRoute);
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
