import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ConfigInvalid, DependencyUnavailable } from './errors';

/**
 * Secrets come from Secrets Manager through Powertools' cache: read at most once per `maxAgeSeconds`
 * per container, so a rotated value is picked up without a deploy. The value is never logged and never
 * put into an error message: a parse failure names the secret's id and the field, not the content.
 */
export const YayCredentialsSchema = z.object({
  reseller: z.string().min(1),
  user: z.string().min(1),
  password: z.string().min(1),
});
export type YayCredentials = z.infer<typeof YayCredentialsSchema>;

export const WebhookSecretsSchema = z.object({
  stripe: z.array(z.string().min(1)).default([]),
  shopify: z.array(z.string().min(1)).default([]),
  woocommerce: z.array(z.string().min(1)).default([]),
});
export type WebhookSecrets = z.infer<typeof WebhookSecretsSchema>;

export const NamingKeySchema = z.object({ key: z.string().min(16) });
/** The password key: long enough for HKDF to give AES-256 a full-strength key (shared/yay/password-box.ts). */
export const PasswordKeySchema = z.object({ key: z.string().min(32) });

/**
 * Secrets Manager answers that mean the configuration is wrong: the secret is missing, its value unset or
 * unreadable with this key, or the role may not read it. Retrying cannot fix them.
 */
const CONFIGURATION_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
  'ValidationException',
]);

/** The SDK error behind a Powertools wrapper (its GetParameterError keeps it as `cause`). */
function rootError(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause instanceof Error; depth += 1) {
    if (CONFIGURATION_ERRORS.has(current.name)) break;
    current = current.cause;
  }
  return current;
}

/**
 * A failed read as the state machine must see it: a missing, denied or undecryptable secret is a broken
 * configuration ({@link ConfigInvalid}, final); a throttle, a timeout, a network error or a fault on AWS's side
 * is {@link DependencyUnavailable} (retried). The SDK's message names the secret id only; it stays the cause.
 */
export function readFailure(secretId: string, error: unknown): ConfigInvalid | DependencyUnavailable {
  const root = rootError(error);
  const name = root instanceof Error ? root.name : '';
  if (CONFIGURATION_ERRORS.has(name)) {
    return new ConfigInvalid(`secret ${secretId} could not be read (${name})`, { cause: error });
  }
  return new DependencyUnavailable(`secret ${secretId} could not be read right now (${name || 'error'})`, {
    cause: error,
  });
}

export interface SecretReader {
  /** Reads and validates a JSON secret; throws {@link ConfigInvalid} naming the secret and field. */
  read<T>(secretId: string, schema: z.ZodType<T>): Promise<T>;
}

/** One Secrets Manager client per module; `AWS_ENDPOINT_URL_SECRETS_MANAGER` is honoured by the SDK. */
export function secretsManagerReader(
  maxAgeSeconds: number,
  client = new SecretsManagerClient({}),
): SecretReader {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return {
    async read<T>(secretId: string, schema: z.ZodType<T>): Promise<T> {
      let raw: unknown;
      try {
        raw = await provider.get(secretId, { maxAge: maxAgeSeconds });
      } catch (error) {
        throw readFailure(secretId, error);
      }
      if (typeof raw !== 'string') throw new ConfigInvalid(`secret ${secretId} has no string value`);
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new ConfigInvalid(`secret ${secretId} is not JSON`);
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
        throw new ConfigInvalid(`secret ${secretId} is missing or has invalid field(s): ${fields}`);
      }
      return parsed.data;
    },
  };
}
