import { randomUUID } from 'node:crypto';
import type { AccessCheck } from './access';
import { AwsServiceError, awsJsonHandler } from './aws-json';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template';

/** Local secret ids, as `YAY_SECRET_ARN`, `WEBHOOK_SECRET_ARN` and `NAMING_KEY_SECRET_ARN` name them. */
export const LocalSecretIds = {
  yay: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:yay-provisioning/yay-credentials`,
  webhooks: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:yay-provisioning/webhook-secrets`,
  namingKey: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:yay-provisioning/naming-key`,
  passwordKey: `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:yay-provisioning/password-key`,
} as const;

function shortName(arn: string): string {
  return arn.split(':secret:')[1] ?? arn;
}

/**
 * Secrets Manager GetSecretValue for local mode, holding JSON values in memory only (seeded from the
 * environment at start). A secret is found by ARN or by name; anything else is ResourceNotFoundException.
 * The values never appear in an error or a log line.
 */
export class LocalSecrets {
  private readonly values = new Map<string, { value: string; versionId: string; created: number }>();

  set(arn: string, value: unknown): void {
    this.values.set(arn, { value: JSON.stringify(value), versionId: randomUUID(), created: Date.now() });
  }

  private find(id: unknown): [string, { value: string; versionId: string; created: number }] {
    for (const [arn, entry] of this.values) {
      if (id === arn || id === shortName(arn)) return [arn, entry];
    }
    throw new AwsServiceError(
      'ResourceNotFoundException',
      "Secrets Manager can't find the specified secret.",
    );
  }

  /** The secret's full ARN for an id given as ARN or name (a name no secret has: the ARN it would have). */
  private arnOf(id: unknown): string {
    for (const arn of this.values.keys()) if (id === arn || id === shortName(arn)) return arn;
    const text = String(id);
    return text.startsWith('arn:')
      ? text
      : `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${text}`;
  }

  /** GetSecretValue over loopback; `access` enforces IAM on the secret's ARN. */
  serviceHandler(access?: AccessCheck) {
    return awsJsonHandler({
      targetPrefix: 'secretsmanager',
      jsonVersion: '1.1',
      ...(access
        ? {
            access: {
              check: access,
              requests: (operation, input) => [
                { action: `secretsmanager:${operation}`, resource: this.arnOf(input.SecretId) },
              ],
            },
          }
        : {}),
      operations: {
        GetSecretValue: (input) => {
          const [arn, entry] = this.find(input.SecretId);
          return {
            ARN: arn,
            Name: shortName(arn),
            VersionId: entry.versionId,
            SecretString: entry.value,
            VersionStages: ['AWSCURRENT'],
            CreatedDate: entry.created / 1000,
          };
        },
      },
    });
  }
}
