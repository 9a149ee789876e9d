/**
 * The synthesized templates, as the cost benchmark reads them: what each function is configured with (memory,
 * architecture), the table's indexes, the access-log format and log retention, and what is billed by the month
 * (secrets, alarms, dashboards, KMS keys, NAT gateways and addresses, schedules and their runs a month).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../infra/app-factory';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/provisioning-function';
import { LOCAL_EMAIL_CONTEXT } from '../../local/config';
import { SOAK_CATALOG } from '../soak/webhooks';
import type { IndexShape } from './cost-model';
import { HOURS_PER_MONTH } from './cost-settings';

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export interface Deployment {
  functions: Map<string, { memoryMb: number; architecture: string }>;
  alarms: number;
  alarmMetrics: number;
  dashboards: number;
  secrets: number;
  kmsKeys: number;
  natGateways: number;
  elasticIps: number;
  logRetentionDays: number;
  accessLogFormat: string;
  indexes: IndexShape[];
  schedules: Array<{ functionName: string; perMonth: number }>;
}

export function synthesize(staticEgressIp: boolean): Deployment {
  const outdir = mkdtempSync(join(tmpdir(), 'yay-bench-cost-synth-'));
  try {
    const built = buildApp({
      bundle: false,
      outdir,
      finalContext: {
        ...LOCAL_EMAIL_CONTEXT,
        'provisioning:staticEgressIp': staticEgressIp,
        'provisioning:creditCatalog': SOAK_CATALOG,
      },
    });
    const assembly = built.app.synth();
    const resources = [built.provisioning, built.stateful].flatMap((stack) =>
      Object.entries(
        (assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, Resource> })
          .Resources,
      ),
    );
    const of = (type: string) => resources.filter(([, r]) => r.Type === type);
    const functions = new Map<string, { memoryMb: number; architecture: string }>();
    const idToFunction = new Map<string, string>();
    for (const [id, r] of of('AWS::Lambda::Function')) {
      const name = r.Metadata?.[FUNCTION_METADATA_KEY];
      if (typeof name !== 'string') continue;
      idToFunction.set(id, name);
      functions.set(name, {
        memoryMb: Number(r.Properties?.MemorySize ?? 128),
        architecture: String((r.Properties?.Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
      });
    }
    const alarms = of('AWS::CloudWatch::Alarm');
    const alarmMetrics = alarms.reduce((sum, [, r]) => {
      const metrics = r.Properties?.Metrics as Array<{ MetricStat?: unknown }> | undefined;
      return sum + (metrics ? metrics.filter((m) => m.MetricStat).length : 1);
    }, 0);
    const retention = of('AWS::Logs::LogGroup').map(([, r]) => Number(r.Properties?.RetentionInDays ?? 0));
    const stage = of('AWS::ApiGatewayV2::Stage')[0]?.[1];
    const table = of('AWS::DynamoDB::GlobalTable')[0]?.[1] ?? of('AWS::DynamoDB::Table')[0]?.[1];
    const gsis = (table?.Properties?.GlobalSecondaryIndexes ?? []) as Array<{
      IndexName: string;
      KeySchema: Array<{ AttributeName: string; KeyType: string }>;
      Projection: { ProjectionType?: IndexShape['projection']; NonKeyAttributes?: string[] };
    }>;
    const schedules = of('AWS::Scheduler::Schedule').map(([, r]) => {
      const arn = JSON.stringify((r.Properties?.Target as { Arn?: unknown } | undefined)?.Arn ?? '');
      const functionName = [...idToFunction].find(([id]) => arn.includes(id))?.[1] ?? 'unknown';
      return { functionName, perMonth: runsPerMonth(String(r.Properties?.ScheduleExpression)) };
    });
    return {
      functions,
      alarms: alarms.length,
      alarmMetrics,
      dashboards: of('AWS::CloudWatch::Dashboard').length,
      secrets: of('AWS::SecretsManager::Secret').length,
      kmsKeys: of('AWS::KMS::Key').length,
      natGateways: of('AWS::EC2::NatGateway').length,
      elasticIps: of('AWS::EC2::EIP').length,
      logRetentionDays: Math.max(...retention),
      accessLogFormat: String(
        (stage?.Properties?.AccessLogSettings as { Format?: string } | undefined)?.Format ?? '{}',
      ),
      indexes: gsis.map((gsi) => ({
        name: gsi.IndexName,
        partitionKey: gsi.KeySchema.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
        ...(gsi.KeySchema.find((k) => k.KeyType === 'RANGE')
          ? { sortKey: gsi.KeySchema.find((k) => k.KeyType === 'RANGE')?.AttributeName }
          : {}),
        projection: gsi.Projection.ProjectionType ?? 'ALL',
        ...(gsi.Projection.NonKeyAttributes ? { nonKeyAttributes: gsi.Projection.NonKeyAttributes } : {}),
      })),
      schedules,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Runs a month (730 h) of `rate(n minutes|hours)` or a daily `cron(…)`. */
function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes =
      Number(rate[1]) * (rate[2]?.startsWith('hour') ? 60 : rate[2]?.startsWith('day') ? 1440 : 1);
    return (HOURS_PER_MONTH * 60) / minutes;
  }
  return HOURS_PER_MONTH / 24;
}
