import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EnvNames, intEnv, optionalEnv, requireEnv } from '../config';
import { logger, metrics, tracer } from '../observability';
import { NamingKeySchema, type SecretReader, secretsManagerReader, YayCredentialsSchema } from '../secrets';
import { createDynamoStore, type DynamoStore } from '../store/dynamo-store';
import { createYayClient } from '../yay/client';
import type { YayApi } from '../yay/types';
import type { Observability, WorkflowControl } from './ports';
import { sfnWorkflowControl } from './sfn-control';

/**
 * Adapters built from the environment, once per handler module at import. Each reads only the variables
 * it needs and throws ConfigInvalid naming a missing one, so a misconfigured Lambda fails at init.
 * The SDK clients honour `AWS_ENDPOINT_URL_*`, which is all local mode needs.
 */
export function storeFromEnv(env: NodeJS.ProcessEnv = process.env): DynamoStore {
  const tableName = requireEnv(EnvNames.TABLE_NAME, env);
  return createDynamoStore({ tableName, client: tracer.captureAWSv3Client(new DynamoDBClient({})) });
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

/** The Powertools logger and metrics, and wall-clock time. */
export const observability: Observability = { log: logger, metrics, now: () => new Date() };
