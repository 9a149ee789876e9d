import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import { EnvNames, flagEnv, intEnv, optionalEnv, requireEnv } from '../config';
import type { CreditOptions } from '../domain/money';
import { ConfigInvalid } from '../errors';
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
import { yaySettingsFromEnv } from '../yay/settings';
import type { YayApi } from '../yay/types';
import { type EventsOut, eventBridgeEventsOut } from './events-out';
import { type Mailer, sesMailer } from './mailer';
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

/**
 * The Yay client; credentials are read through the secrets cache before each call (rotation without deploy).
 * The balance paths and the credit allocation come from `YAY_CUSTOMER_BALANCE_PATH` & co., defaulted when unset.
 */
export function yayFromEnv(secrets: SecretReader, env: NodeJS.ProcessEnv = process.env): YayApi {
  const secretId = requireEnv(EnvNames.YAY_SECRET_ARN, env);
  return createYayClient({
    baseUrl: optionalEnv(EnvNames.YAY_API_BASE_URL, 'https://api.yay.com', env),
    credentials: () => secrets.read(secretId, YayCredentialsSchema),
    timeoutMs: intEnv(EnvNames.YAY_TIMEOUT_MS, 10_000, env),
    settings: yaySettingsFromEnv(env),
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
 * value, so a rotated secret is picked up (and what it sealed before no longer opens: see docs/deploy.md).
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

/** Reads a JSON variable with its schema; ConfigInvalid names the variable (and never echoes a long value). */
function jsonEnv<T>(
  name: keyof typeof EnvNames,
  schema: z.ZodType<T>,
  shape: string,
  env: NodeJS.ProcessEnv,
): T {
  const raw = requireEnv(name, env);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigInvalid(`environment variable ${name} must be JSON ${shape}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigInvalid(
      `environment variable ${name} must be JSON ${shape}: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data;
}

const TemplatesSchema = z.object({ welcome: z.string().min(1), receipt: z.string().min(1) });
const LoginUrlSchema = z.url({ protocol: /^https?$/ });

/**
 * The SES mailer, or undefined while `EMAIL_SENDER` is unset (e-mail off). With a sender, the configuration set,
 * the template names and the sign-in address are required: a half-configured function fails at init, by name.
 */
export function mailerFromEnv(env: NodeJS.ProcessEnv = process.env): Mailer | undefined {
  const sender = optionalEnv(EnvNames.EMAIL_SENDER, '', env);
  if (sender === '') return undefined;
  return sesMailer(tracer.captureAWSv3Client(new SESv2Client({})), {
    sender,
    configurationSet: requireEnv(EnvNames.EMAIL_CONFIGURATION_SET, env),
    templates: jsonEnv(
      EnvNames.EMAIL_TEMPLATES,
      TemplatesSchema,
      '{"welcome":"<template>","receipt":"<template>"}',
      env,
    ),
  });
}

/** Each store's sign-in address for the e-mails: its own (`STORE_LOGIN_URLS`), else `STORE_LOGIN_URL`. */
export function loginUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): (store: string) => string {
  const fallback = requireEnv(EnvNames.STORE_LOGIN_URL, env);
  if (!LoginUrlSchema.safeParse(fallback).success) {
    throw new ConfigInvalid(`environment variable ${EnvNames.STORE_LOGIN_URL} must be an http(s) URL`);
  }
  const byStore = new Map(
    Object.entries(
      jsonEnv(
        EnvNames.STORE_LOGIN_URLS,
        z.record(z.string().min(1), LoginUrlSchema),
        '{"<store id>":"<https URL>"}',
        env,
      ),
    ),
  );
  return (store) => byStore.get(store) ?? fallback;
}

/** How the credit owed is derived, as deployed (`CREDIT_FREE_ORDERS`). */
export function creditOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CreditOptions {
  return { creditFreeOrders: flagEnv(EnvNames.CREDIT_FREE_ORDERS, false, env) };
}

/** The Powertools logger and metrics, and wall-clock time. */
export const observability: Observability = { log: logger, metrics, now: () => new Date() };
