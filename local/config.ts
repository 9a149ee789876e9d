import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { ContextKeys } from '../infra/config';
import { ConfigInvalid } from '../shared/errors';
import type { YayCredentials } from '../shared/secrets';
import { DEFAULT_SANDBOX_CREDENTIALS } from './yay-sandbox/defaults';

/** The variables local mode reads (docs/design.md §9); `.env.example` documents each. */
export const LocalEnvNames = [
  'PORT',
  'YAY_API_BASE_URL',
  'YAY_RESELLER',
  'YAY_USER',
  'YAY_PASSWORD',
  'YAY_STORE_FRONT',
  'STRIPE_WEBHOOK_SECRET',
  'SHOPIFY_WEBHOOK_SECRET',
  'WOOCOMMERCE_WEBHOOK_SECRET',
  'LOCAL_DATA_DIR',
  'LOCAL_MAX_WAIT_SECONDS',
  'LOCAL_LOG_FORMAT',
  'CDK_CONTEXT_JSON',
] as const;

/**
 * Fake signing secrets for local mode when none is set. They are obviously not secrets (anyone can read
 * them here), which is the point: with the sandbox nothing real can be reached with them.
 */
export const DEFAULT_WEBHOOK_SECRETS = {
  stripe: 'whsec_local_test_only_not_a_secret',
  shopify: 'shopify_local_test_only_not_a_secret',
  woocommerce: 'woocommerce_local_test_only_not_a_secret',
} as const;

/**
 * Context that turns the buyer e-mails on in local mode (its SES stand-in writes them to the outbox). Both are
 * placeholders in names reserved for this (RFC 6761 `.localhost`, RFC 2606 `.example`), so a message that somehow
 * left the machine, or a link a tester followed, could reach no one.
 */
export const LOCAL_EMAIL_CONTEXT: Readonly<Record<string, string>> = {
  [ContextKeys.emailSender]: 'Yay Local <noreply@yay-provisioning.localhost>',
  [ContextKeys.storeLoginUrl]: 'https://store.example/login',
};

/** Node timers overflow past 2^31 ms (24.8 days): every capped wait stays below this many seconds. */
export const MAX_WAIT_LIMIT_SECONDS = 2_000_000;

/** Local mode's validated configuration. Secrets are held here and only handed to the Secrets stand-in. */
export interface LocalConfig {
  readonly port: number;
  /** Set: a real (or separately run) Yay endpoint, and the credentials below are required. Unset: the sandbox. */
  readonly yayApiBaseUrl: string | undefined;
  /** The Yay credentials handed to the handlers and the sandbox: {@link yayCredentialsFromEnv}. */
  readonly yayCredentials: YayCredentials;
  readonly yayStoreFront: string | undefined;
  readonly webhookSecrets: { stripe: string; shopify: string; woocommerce: string };
  readonly dataDir: string;
  readonly maxWaitSeconds: number;
  readonly logFormat: 'human' | 'json';
  /** True when no variable of {@link LocalEnvNames} was set: print the getting-started hint. */
  readonly allDefaults: boolean;
}

/**
 * Reads `.env` (when present) into `env` without overriding what is already set, as `node --env-file`
 * does: the shell wins over the file.
 */
export function loadDotEnv(
  file = resolve(process.cwd(), '.env'),
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (!existsSync(file)) return false;
  const parsed = parseEnv(readFileSync(file, 'utf8'));
  for (const [key, value] of Object.entries(parsed)) {
    if (env[key] === undefined) env[key] = value;
  }
  return true;
}

function value(env: NodeJS.ProcessEnv, name: (typeof LocalEnvNames)[number]): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/**
 * The Yay credentials local mode, its tools and a separately run sandbox use: YAY_RESELLER, YAY_USER and
 * YAY_PASSWORD where set, each other one the sandbox's default ({@link DEFAULT_SANDBOX_CREDENTIALS}).
 */
export function yayCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): YayCredentials {
  return {
    reseller: value(env, 'YAY_RESELLER') ?? DEFAULT_SANDBOX_CREDENTIALS.reseller,
    user: value(env, 'YAY_USER') ?? DEFAULT_SANDBOX_CREDENTIALS.user,
    password: value(env, 'YAY_PASSWORD') ?? DEFAULT_SANDBOX_CREDENTIALS.password,
  };
}

/**
 * Validates the local environment; every failure is a {@link ConfigInvalid} naming the variable (and
 * never echoing a secret's value).
 */
export function readLocalConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LocalConfig {
  const portRaw = value(env, 'PORT');
  const port = portRaw === undefined ? 3000 : Number(portRaw);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigInvalid(`environment variable PORT must be an integer from 0 to 65535, got "${portRaw}"`);
  }
  const baseUrl = value(env, 'YAY_API_BASE_URL');
  if (baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new ConfigInvalid(`environment variable YAY_API_BASE_URL must be a URL, got "${baseUrl}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigInvalid('environment variable YAY_API_BASE_URL must be an http(s) URL');
    }
    for (const name of ['YAY_RESELLER', 'YAY_USER', 'YAY_PASSWORD', 'YAY_STORE_FRONT'] as const) {
      if (value(env, name) === undefined) {
        throw new ConfigInvalid(`environment variable ${name} is required when YAY_API_BASE_URL is set`);
      }
    }
  }
  const waitRaw = value(env, 'LOCAL_MAX_WAIT_SECONDS');
  const maxWaitSeconds = waitRaw === undefined ? 300 : Number(waitRaw);
  if (!Number.isFinite(maxWaitSeconds) || maxWaitSeconds <= 0 || maxWaitSeconds > MAX_WAIT_LIMIT_SECONDS) {
    throw new ConfigInvalid(
      `environment variable LOCAL_MAX_WAIT_SECONDS must be a positive number of at most ${MAX_WAIT_LIMIT_SECONDS}, got "${waitRaw}"`,
    );
  }
  const format = value(env, 'LOCAL_LOG_FORMAT') ?? 'human';
  if (format !== 'human' && format !== 'json') {
    throw new ConfigInvalid(
      `environment variable LOCAL_LOG_FORMAT must be "human" or "json", got "${format}"`,
    );
  }
  const dir = value(env, 'LOCAL_DATA_DIR') ?? '.local';
  return {
    port,
    yayApiBaseUrl: baseUrl,
    yayCredentials: yayCredentialsFromEnv(env),
    yayStoreFront: value(env, 'YAY_STORE_FRONT'),
    webhookSecrets: {
      stripe: value(env, 'STRIPE_WEBHOOK_SECRET') ?? DEFAULT_WEBHOOK_SECRETS.stripe,
      shopify: value(env, 'SHOPIFY_WEBHOOK_SECRET') ?? DEFAULT_WEBHOOK_SECRETS.shopify,
      woocommerce: value(env, 'WOOCOMMERCE_WEBHOOK_SECRET') ?? DEFAULT_WEBHOOK_SECRETS.woocommerce,
    },
    dataDir: isAbsolute(dir) ? dir : resolve(cwd, dir),
    maxWaitSeconds,
    logFormat: format,
    allDefaults: LocalEnvNames.every((name) => value(env, name) === undefined),
  };
}

/**
 * `CDK_CONTEXT_JSON`, as the CDK CLI sets it for an app: a JSON object of context values. Absent or empty: none.
 * Anything else throws {@link ConfigInvalid} naming the variable.
 */
export function cdkContextFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const raw = value(env, 'CDK_CONTEXT_JSON');
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const shown = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
    throw new ConfigInvalid(
      `environment variable CDK_CONTEXT_JSON must be a JSON object of context values, got ${JSON.stringify(shown)}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** What `npm start -- …` was given. */
export interface StartArgs {
  /** `--json`: progress and handler logs as JSON lines (as LOCAL_LOG_FORMAT=json). */
  readonly json: boolean;
  /** `-c key=value` / `--context key=value`, repeatable, as the CDK CLI takes them: values are strings. */
  readonly context: Readonly<Record<string, string>>;
}

const START_USAGE = 'usage: npm start -- [--json] [-c <context key>=<value>]...';

/** Parses `npm start`'s arguments; an unknown option or a `-c` without `key=value` throws ConfigInvalid. */
export function parseStartArgs(argv: readonly string[]): StartArgs {
  let values: { json?: boolean; context?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean' }, context: { type: 'string', short: 'c', multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigInvalid(`${(error as Error).message} (${START_USAGE})`);
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigInvalid(`option -c must be <context key>=<value>, got "${pair}"`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { json: values.json ?? false, context };
}

/**
 * The context local mode synthesizes with, on top of cdk.json's, lowest first: local mode's own defaults
 * (`yay:storeFront` = YAY_STORE_FRONT or the sandbox's store front: cdk.json's is a placeholder), then
 * `CDK_CONTEXT_JSON`, then `-c` (the most explicit). The CDK CLI merges the same way before it runs an app.
 */
export function localSynthContext(
  defaults: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  cli: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return { ...defaults, ...cdkContextFromEnv(env), ...cli };
}
