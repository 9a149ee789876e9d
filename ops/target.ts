/**
 * What the operator tools act on: the running local mode (through its runtime.json, local/runtime-info.ts),
 * or a deployed stack (through its outputs, with the operator's own AWS credentials). The ops CLI (ops/cli.ts) and
 * the console (console/) build their target here, so the two can never reach different tables or state machines.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { readLocalConfig } from '../local/config';
import { LOCAL_AWS_CREDENTIALS, type RuntimeInfo, readRuntimeInfo } from '../local/runtime-info';
import { type YayCredentials, YayCredentialsSchema } from '../shared/secrets';
import { createDynamoStore, type DynamoStore, type EmailStore } from '../shared/store';
import { createNotificationStores } from '../shared/store/dynamo-store';
import { type ConfiguredStoreFronts, ConfiguredStoreFrontsSchema } from '../shared/store-fronts';
import type { AttentionDeps } from '../shared/workflow/attention';
import { type EventsOut, eventBridgeEventsOut } from '../shared/workflow/events-out';
import type { Observability } from '../shared/workflow/ports';
import type { ResolveTransferDeps } from '../shared/workflow/reconcile-transfer';
import { sfnWorkflowControl } from '../shared/workflow/sfn-control';
import { type YaySettings, yaySettingsFromEnv } from '../shared/yay/settings';
import { OpsError } from './errors';
import { localEventLines, logGroupEventLines, type PublishedLine } from './published-events';

/** What the commands act on: the running local mode, or a deployed stack. */
export interface Target {
  where: string;
  store: DynamoStore;
  /** The buyer e-mail markers (never the sealed passwords beside them: no operator tool reads those). */
  emails: EmailStore;
  sfn: SFNClient;
  stateMachineArn: string;
  /** The provisioning bus: what a person's action decides is published as the handlers publish it. */
  events: EventsOut;
  /** Invokes the notify function (RequestResponse): the only sender of e-mail. */
  invokeNotify(payload: unknown): Promise<unknown>;
  /** The events published for other systems, oldest first, as the log group (or its local file) has them. */
  publishedEvents(orderKey: string | undefined): Promise<PublishedLine[]>;
  /** Local mode's outbox folder; undefined for a deployed stack (SES delivers there). */
  outboxDir?: string;
  yay: () => Promise<{ baseUrl: string; credentials: YayCredentials }>;
  /** The deployed functions' source address(es) for Yay: the stack output `YayEgressIp`, when it has one. */
  egressIp?: string;
  /**
   * The store fronts new customers go under (local mode's runtime.json, the stack output `StoreFronts`), or why
   * they are not known. Read on use: a malformed value only fails `yay-check`.
   */
  storeFronts(): ConfiguredStoreFronts | { unknown: string };
  /**
   * The Yay functions' balance paths and credit allocation (local mode's runtime.json, the stack output
   * `YaySettings`), or why they are not known. Read on use: a malformed value only fails `yay-check`.
   */
  yaySettings(): YaySettings | { unknown: string };
  close(): void;
}
/** What the operator use cases take (replay, complete, close, resolve-transfer). */
export type OperatorDeps = AttentionDeps & ResolveTransferDeps;
/**
 * The use cases' dependencies over a target: one wiring for the CLI and the console, so an action taken from
 * either runs the same code against the same ports.
 */
export function operatorDeps(target: Target, observability: Observability): OperatorDeps {
  const workflow = sfnWorkflowControl(target.sfn, target.stateMachineArn);
  const store = target.store;
  return {
    ...observability,
    orders: store,
    buyers: store,
    transfers: store,
    workflow,
    events: target.events,
  };
}
/** Invokes a function and returns its JSON result; a function error is an OpsError naming its type and message. */
async function invokeFunction(lambda: LambdaClient, name: string, payload: unknown): Promise<unknown> {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : 'null';
  const result = JSON.parse(text) as { errorType?: string; errorMessage?: string } | null;
  if (out.FunctionError) {
    throw new OpsError(`${name} failed: ${result?.errorType ?? 'Error'}: ${result?.errorMessage ?? text}`);
  }
  return result;
}
/** What the operator tools observe with: no metrics, no info lines, warnings and errors to `err`. */
export function operatorObservability(err: (line: string) => void): Observability {
  const quiet = () => undefined;
  return {
    now: () => new Date(),
    metrics: { addMetric: quiet },
    log: {
      debug: quiet,
      info: quiet,
      warn: (m) => err(`warning: ${m}`),
      error: (m) => err(`error: ${m}`),
    },
  };
}
/** The default stack of `--aws`. */
export const DEFAULT_STACK = 'YayProvisioning';
/** The running local mode of `dataDir` (default: LOCAL_DATA_DIR's), found through its runtime.json. */
export async function localTarget(env: NodeJS.ProcessEnv, dataDirFlag: string | undefined): Promise<Target> {
  const config = readLocalConfig(env);
  const dataDir = dataDirFlag ?? config.dataDir;
  const info = readRuntimeInfo(dataDir);
  if (!info) {
    throw new OpsError(
      `local mode is not running for data dir ${dataDir} (no runtime.json): start it with npm start`,
    );
  }
  try {
    process.kill(info.pid, 0);
  } catch {
    throw new OpsError(
      `local mode (pid ${info.pid}) for data dir ${dataDir} is not running: start it with npm start`,
    );
  }
  return runtimeTarget(info, config.yayCredentials);
}
/**
 * A local mode known by its runtime information: another process's (read from runtime.json), or this process's
 * own (local mode serving the console at `/console`).
 */
export function runtimeTarget(info: RuntimeInfo, yayCredentials: YayCredentials): Target {
  const clientConfig = { region: info.region, credentials: LOCAL_AWS_CREDENTIALS };
  const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: info.endpoints.dynamodb });
  const sfn = new SFNClient({ ...clientConfig, endpoint: info.endpoints.sfn });
  const eventBridge = new EventBridgeClient({ ...clientConfig, endpoint: info.endpoints.eventbridge });
  const lambda = new LambdaClient({ ...clientConfig, endpoint: info.endpoints.lambda });
  const table = { tableName: info.tableName, client: dynamo };
  return {
    where: `local mode at ${info.url}`,
    store: createDynamoStore(table),
    emails: createNotificationStores(table).emails,
    sfn,
    stateMachineArn: info.stateMachineArn,
    events: eventBridgeEventsOut(eventBridge, info.eventBusName),
    invokeNotify: (payload) => invokeFunction(lambda, info.notifyFunction, payload),
    publishedEvents: async (orderKey) => localEventLines(info.outboundEventsFile, orderKey),
    outboxDir: info.outboxDir,
    storeFronts: () =>
      // runtime.json of a local mode started before it recorded them.
      info.storeFronts ?? { unknown: `local mode at ${info.url} did not record them: restart it` },
    yaySettings: () =>
      info.yaySettings
        ? yaySettingsFromEnv(info.yaySettings)
        : { unknown: `local mode at ${info.url} did not record them: restart it` },
    yay: async () => ({ baseUrl: info.endpoints.yay, credentials: yayCredentials }),
    close: () => {
      dynamo.destroy();
      sfn.destroy();
      eventBridge.destroy();
      lambda.destroy();
    },
  };
}
/** A deployed stack, by its outputs; the AWS SDK finds the operator's credentials as the AWS CLI does. */
export async function awsTarget(
  env: NodeJS.ProcessEnv,
  stack: string,
  region: string | undefined,
): Promise<Target> {
  const clientConfig = region ? { region } : {};
  const cfn = new CloudFormationClient(clientConfig);
  let outputs: Record<string, string>;
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const found = out.Stacks?.[0];
    if (!found) throw new OpsError(`stack ${stack} not found`);
    outputs = Object.fromEntries((found.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    if (error instanceof OpsError) throw error;
    throw new OpsError(
      `cannot read stack ${stack}: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`,
    );
  } finally {
    cfn.destroy();
  }
  for (const key of ['TableName', 'StateMachineArn', 'YaySecretArn', 'EventBusName']) {
    if (!outputs[key])
      throw new OpsError(`stack ${stack} has no output ${key}: is it the provisioning stack?`);
  }
  const dynamo = new DynamoDBClient(clientConfig);
  const sfn = new SFNClient(clientConfig);
  const eventBridge = new EventBridgeClient(clientConfig);
  const lambda = new LambdaClient(clientConfig);
  const logs = new CloudWatchLogsClient(clientConfig);
  const output = (key: string, command: string) => {
    const value = outputs[key];
    if (!value)
      throw new OpsError(`stack ${stack} has no output ${key} (needed by ${command}): deploy this version`);
    return value;
  };
  const table = { tableName: outputs.TableName as string, client: dynamo };
  return {
    where: `stack ${stack}`,
    store: createDynamoStore(table),
    emails: createNotificationStores(table).emails,
    sfn,
    stateMachineArn: outputs.StateMachineArn as string,
    events: eventBridgeEventsOut(eventBridge, outputs.EventBusName as string),
    invokeNotify: (payload) =>
      invokeFunction(lambda, output('NotifyFunctionName', 'resend-welcome'), payload),
    publishedEvents: (orderKey) =>
      logGroupEventLines(logs, output('OutboundEventsLogGroup', 'events'), orderKey),
    // Only with provisioning:staticEgressIp; without it the functions have no fixed address to report.
    ...(outputs.YayEgressIp ? { egressIp: outputs.YayEgressIp } : {}),
    storeFronts: () => storeFrontsOutput(stack, outputs.StoreFronts),
    yaySettings: () => yaySettingsOutput(stack, outputs.YaySettings),
    yay: async () => {
      const secrets = new SecretsManagerClient(clientConfig);
      try {
        const value = await secrets.send(new GetSecretValueCommand({ SecretId: outputs.YaySecretArn }));
        const parsed = YayCredentialsSchema.safeParse(JSON.parse(value.SecretString ?? '{}'));
        if (!parsed.success)
          throw new OpsError(`secret ${outputs.YaySecretArn} is not {"reseller","user","password"}`);
        return { baseUrl: env.YAY_API_BASE_URL || 'https://api.yay.com', credentials: parsed.data };
      } finally {
        secrets.destroy();
      }
    },
    close: () => {
      dynamo.destroy();
      sfn.destroy();
      eventBridge.destroy();
      lambda.destroy();
      logs.destroy();
    },
  };
}
/** The `StoreFronts` output: `{"default":"<uuid>","stores":{"<store id>":"<uuid>"}}`. */
function storeFrontsOutput(
  stack: string,
  value: string | undefined,
): ConfiguredStoreFronts | { unknown: string } {
  if (!value) return { unknown: `stack ${stack} has no output StoreFronts: deploy this version` };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    json = undefined;
  }
  const parsed = ConfiguredStoreFrontsSchema.safeParse(json);
  if (!parsed.success) {
    throw new OpsError(
      `stack ${stack} output StoreFronts is not {"default":"<uuid>","stores":{"<store id>":"<uuid>"}}`,
    );
  }
  return parsed.data;
}
/** The `YaySettings` output: the settings variables that differ from the defaults, `{}` for none. */
function yaySettingsOutput(stack: string, value: string | undefined): YaySettings | { unknown: string } {
  if (value === undefined)
    return { unknown: `stack ${stack} has no output YaySettings: deploy this version` };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    json = undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OpsError(`stack ${stack} output YaySettings is not a JSON object of environment variables`);
  }
  try {
    return yaySettingsFromEnv(json as Record<string, string | undefined>);
  } catch (error) {
    throw new OpsError(`stack ${stack} output YaySettings: ${(error as Error).message}`);
  }
}
/** True for an error that says the endpoint could not be reached at all (local mode stopped, no network). */
export function isConnectionError(error: unknown): boolean {
  const text =
    error instanceof Error
      ? `${error.name} ${error.message} ${String((error as { code?: string }).code)}`
      : '';
  return /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|fetch failed|socket hang up/i.test(text);
}
