import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EnvNames, intEnv, optionalEnv, requireEnv } from '../config';
import { logger, metrics, tracer } from '../observability';
import {
  NamingKeySchema,
  PasswordKeySchema,
  type SecretReader,
  secretsManagerReader,
  YayCredentialsSchema,
} from '../secrets';
import {
  createDynamoStore,
  createNotificationStores,
  type DynamoStore,
  type NotificationStores,
} from '../store/dynamo-store';
import { createYayClient } from '../yay/client';
import { passwordKey } from '../yay/password-box';
import type { YayApi } from '../yay/types';
import { type EventsOut, eventBridgeEventsOut } from './events-out';
import type { Observability, WorkflowControl } from './ports';
import { sfnWorkflowControl } from './sfn-control';

/**
 * Adapters built from the environment, once per handler module at import. Each reads only the variables
 * it needs and throws ConfigInvalid naming a missing one, so a misconfigured Lambda fails at init.
 * The SDK clients honour `AWS_ENDPOINT_URL_*`, which is all local mode needs.
 */
let dynamoClient: DynamoDBClient | undefined;
/** One DynamoDB client per module graph: the order and notification ports share its connections. */
function dynamo(): DynamoDBClient {
  dynamoClient ??= tracer.captureAWSv3Client(new DynamoDBClient({}));
  return dynamoClient;
}

export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoStore {
  const tableName = requireEnv(EnvNames.TABLE_NAME, env);
  return createDynamoStore({ tableName, client: dynamo() });
}

/** The e-mail markers and sealed passwords (same table). */
export function notificationStoresFromEnv(env: NodeJS.ProcessEnv = process.env): NotificationStores {
  const tableName = requireEnv(EnvNames.TABLE_NAME, env);
  return createNotificationStores({ tableName, client: dynamo() });
}

/** Outbound facts for the reseller's other systems, on the provisioning bus (`EVENT_BUS_NAME`). */
export function eventsOutFromEnv(env: NodeJS.ProcessEnv = process.env): EventsOut {
  const bus = requireEnv(EnvNames.EVENT_BUS_NAME, env);
  return eventBridgeEventsOut(tracer.captureAWSv3Client(new EventBridgeClient({})), bus);
}

export function workflowFromEnv(env: NodeJS.ProcessEnv = process.env): WorkflowControl {
  const stateMachineArn = requireEnv(EnvNames.STATE_MACHINE_ARN, env);
  return sfnWorkflowControl(tracer.captureAWSv3Client(new SFNClient({})), stateMachineArn);
}

export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): SecretReader {
  return secretsManagerReader(intEnv(EnvNames.SECRETS_MAX_AGE_SECONDS, 300, env));
}

/** The Yay client; credentials are read through the secrets cache before each call (rotation without deploy). */
export function yayFromEnv(secrets: SecretReader, env: NodeJS.ProcessEnv = process.env): YayApi {
  const secretId = requireEnv(EnvNames.YAY_SECRET_ARN, env);
  return createYayClient({
    baseUrl: optionalEnv(EnvNames.YAY_API_BASE_URL, 'https://api.yay.com', env),
    credentials: () => secrets.read(secretId, YayCredentialsSchema),
    timeoutMs: intEnv(EnvNames.YAY_TIMEOUT_MS, 10_000, env),
  });
}

/** The naming key (never logged), read through the secrets cache. */
export function namingKeyFromEnv(
  secrets: SecretReader,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<string> {
  const secretId = requireEnv(EnvNames.NAMING_KEY_SECRET_ARN, env);
  return async () => (await secrets.read(secretId, NamingKeySchema)).key;
}

/**
 * The key that seals store passwords (never logged), read through the secrets cache; derived once per secret
 * value, so a rotated secret is picked up (and what it sealed before no longer opens: see the README).
 */
export function passwordKeyFromEnv(
  secrets: SecretReader,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<Buffer> {
  const secretId = requireEnv(EnvNames.PASSWORD_KEY_SECRET_ARN, env);
  let derived: { secret: string; key: Buffer } | undefined;
  return async () => {
    const { key } = await secrets.read(secretId, PasswordKeySchema);
    if (derived?.secret !== key) derived = { secret: key, key: passwordKey(key) };
    return derived.key;
  };
}

/** The Powertools logger and metrics, and wall-clock time. */
export const observability: Observability = { log: logger, metrics, now: () => new Date() };
