import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ConfigInvalid } from './errors';

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
        // The SDK's message names the secret id only; keep it as the cause.
        throw new ConfigInvalid(`secret ${secretId} could not be read`, { cause: error });
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
