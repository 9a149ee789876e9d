import { randomUUID } from 'node:crypto';
import type { AccessCheck } from '../iam/access';
import { AwsServiceError, awsJsonHandler, pageOf } from './aws-json';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalSecretMetadata } from './template/types';

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

interface SecretEntry {
  value: string;
  versionId: string;
  created: number;
  /** Day of the last GetSecretValue (Secrets Manager keeps the date only), epoch ms. */
  accessed?: number;
  metadata: LocalSecretMetadata;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Secrets Manager for local mode: GetSecretValue for the handlers, holding JSON values in memory only (seeded from
 * the environment at start), and the operator's DescribeSecret and ListSecrets, which show names, ARNs, dates, the
 * template's description and tags — never a value. A secret is found by ARN or by name; anything else is
 * ResourceNotFoundException. The values never appear in an error or a log line.
 */
export class LocalSecrets {
  private readonly values = new Map<string, SecretEntry>();

  set(arn: string, value: unknown, metadata: LocalSecretMetadata = { tags: [] }): void {
    this.values.set(arn, {
      value: JSON.stringify(value),
      versionId: randomUUID(),
      created: Date.now(),
      metadata,
    });
  }

  private find(id: unknown): [string, SecretEntry] {
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

  /** GetSecretValue, DescribeSecret and ListSecrets over loopback; `access` enforces IAM on the secret's ARN. */
  serviceHandler(access?: AccessCheck) {
    const epoch = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    const metadata = (arn: string, entry: SecretEntry) => ({
      ARN: arn,
      Name: shortName(arn),
      ...(entry.metadata.description ? { Description: entry.metadata.description } : {}),
      LastChangedDate: epoch(entry.created),
      LastAccessedDate: epoch(entry.accessed),
      Tags: entry.metadata.tags,
      CreatedDate: epoch(entry.created),
    });
    const stages = (entry: SecretEntry) => ({ [entry.versionId]: ['AWSCURRENT'] });
    /** ListSecrets' filters: each key's values are prefixes, a `!` in front negates one; all keys must match. */
    const matches = (arn: string, entry: SecretEntry, filters: Array<{ Key?: string; Values?: string[] }>) =>
      filters.every(({ Key, Values = [] }) => {
        const fields: Record<string, string[]> = {
          name: [shortName(arn)],
          description: entry.metadata.description ? [entry.metadata.description] : [],
          'tag-key': entry.metadata.tags.map((tag) => tag.Key),
          'tag-value': entry.metadata.tags.map((tag) => tag.Value),
        };
        const candidates = Key === 'all' ? Object.values(fields).flat() : (fields[Key ?? ''] ?? []);
        return Values.some((value) =>
          value.startsWith('!')
            ? !candidates.some((c) => c.startsWith(value.slice(1)))
            : candidates.some((c) => c.startsWith(value)),
        );
      });
    return awsJsonHandler({
      targetPrefix: 'secretsmanager',
      jsonVersion: '1.1',
      messageMember: 'Message',
      ...(access
        ? {
            access: {
              check: access,
              requests: (operation, input) => [
                {
                  action: `secretsmanager:${operation}`,
                  resource: operation === 'ListSecrets' ? '*' : this.arnOf(input.SecretId),
                },
              ],
            },
          }
        : {}),
      operations: {
        DescribeSecret: (input) => {
          const [arn, entry] = this.find(input.SecretId);
          return { ...metadata(arn, entry), RotationEnabled: false, VersionIdsToStages: stages(entry) };
        },
        ListSecrets: (input) => {
          const filters = Array.isArray(input.Filters)
            ? (input.Filters as Array<{ Key?: string; Values?: string[] }>)
            : [];
          const all = [...this.values]
            .filter(([arn, entry]) => matches(arn, entry, filters))
            .sort(([, a], [, b]) =>
              input.SortOrder === 'desc' ? b.created - a.created : a.created - b.created,
            );
          const page = pageOf(all, input.NextToken, input.MaxResults, {
            defaultSize: 100,
            maxSize: 100,
            scope: `secrets:${JSON.stringify(filters)}:${String(input.SortOrder ?? '')}`,
            invalidToken: () =>
              new AwsServiceError('InvalidNextTokenException', 'The NextToken value is invalid.'),
          });
          return {
            SecretList: page.items.map(([arn, entry]) => ({
              ...metadata(arn, entry),
              SecretVersionsToStages: stages(entry),
            })),
            NextToken: page.nextToken,
          };
        },
        GetSecretValue: (input) => {
          const [arn, entry] = this.find(input.SecretId);
          entry.accessed = Math.floor(Date.now() / DAY_MS) * DAY_MS;
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
