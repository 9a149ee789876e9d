import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app-factory';
import { EVENT_SOURCE } from '../../shared/domain/order-event';
import { TableSchema } from '../../shared/store/schema';
import { synthesized } from './synth';

const { stateful } = synthesized();
const resources = stateful.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;

describe('StatefulStack table', () => {
  it('uses the shared key schema, on-demand billing and the TTL attribute', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: TableSchema.partitionKey, KeyType: 'HASH' },
        { AttributeName: TableSchema.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TableSchema.ttlAttribute, Enabled: true },
    });
  });

  it('turns on point-in-time recovery and deletion protection', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('has the sparse work-queue, customer-transfers and by-day indexes with every attribute, and the keys-only payment and search indexes, as TableSchema says', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: [
        {
          IndexName: TableSchema.openOrdersIndex.name,
          KeySchema: [
            { AttributeName: TableSchema.openOrdersIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: TableSchema.openOrdersIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: TableSchema.owedIndex.name,
          KeySchema: [
            { AttributeName: TableSchema.owedIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: TableSchema.owedIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: TableSchema.customerTransfersIndex.name,
          KeySchema: [{ AttributeName: TableSchema.customerTransfersIndex.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: TableSchema.byDayIndex.name,
          KeySchema: [
            { AttributeName: TableSchema.byDayIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: TableSchema.byDayIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        ...[TableSchema.buyerEmailIndex, TableSchema.customerNameIndex].map((lookup) => ({
          IndexName: lookup.name,
          KeySchema: [
            { AttributeName: lookup.partitionKey, KeyType: 'HASH' },
            { AttributeName: lookup.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        })),
      ],
    });
  });

  it('retains the table, the bus, its archive and the secrets when the stack is deleted or replaced', () => {
    const kept = [
      'AWS::DynamoDB::GlobalTable',
      'AWS::Events::EventBus',
      'AWS::Events::Archive',
      'AWS::SecretsManager::Secret',
    ];
    for (const type of kept) {
      const ofType = Object.entries(resources).filter(([, r]) => r.Type === type);
      expect(ofType.length, type).toBeGreaterThan(0);
      for (const [id, r] of ofType) {
        expect(r.DeletionPolicy, id).toBe('Retain');
        expect(r.UpdateReplacePolicy, id).toBe('Retain');
      }
    }
  });
});

describe('StatefulStack bus and secrets', () => {
  it('archives every event intake publishes, for replay from the console', () => {
    stateful.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: [EVENT_SOURCE] },
      RetentionDays: 365,
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] },
    });
  });

  it('creates the four secrets with no value in the template, only a generated placeholder or key', () => {
    const secrets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'NamingKeySecret',
      'PasswordKeySecret',
      'WebhookSecret',
      'YaySecret',
    ]);
    for (const [id, r] of secrets) {
      expect(r.Properties, id).not.toHaveProperty('SecretString');
      expect(r.Properties, id).toHaveProperty('GenerateSecretString');
    }
    for (const generated of ['NamingKeySecret', 'PasswordKeySecret']) {
      const secret = secrets.find(([id]) => id.startsWith(generated))?.[1];
      expect(secret?.Properties.GenerateSecretString, generated).toMatchObject({
        SecretStringTemplate: '{}',
        GenerateStringKey: 'key',
        PasswordLength: 64,
      });
    }
  });

  it('outputs the table, bus and secret names the other stack and the ops CLI read', () => {
    expect(Object.keys(stateful.toJSON().Outputs ?? {})).toEqual(
      expect.arrayContaining([
        'TableName',
        'EventBusName',
        'YaySecretArn',
        'WebhookSecretArn',
        'NamingKeySecretArn',
        'PasswordKeySecretArn',
      ]),
    );
  });
});

describe('buildApp determinism', () => {
  it('synthesizes the same templates twice, so a redeploy of unchanged code changes nothing', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-determinism-'));
    try {
      const again = buildApp({ bundle: false, outdir });
      again.app.synth();
      expect(Template.fromStack(again.stateful).toJSON()).toEqual(stateful.toJSON());
      expect(Template.fromStack(again.provisioning).toJSON()).toEqual(synthesized().provisioning.toJSON());
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('tags every taggable resource with the project', () => {
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
      Tags: [{ Key: 'project', Value: 'yay-provisioning' }],
    });
  });
});
