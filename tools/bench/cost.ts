/**
 * `npm run bench -- cost`: what 1,000 paid orders cost on AWS at list prices, from counts measured in one local run
 * (method: tools/bench/COST.md; prices: tools/bench/prices-eu-west-2.ts; arithmetic: tools/bench/cost-model.ts), and
 * the fixed monthly cost beside it, with and without the fixed egress IP.
 *
 * Local mode runs the synthesized template in this process, so the meters sit on its seams without touching the
 * handlers: every Lambda invocation (LocalLambda), every PutEvents entry (the bus), every state the engine enters,
 * every DynamoDB call (the table module's consumed-capacity counter), every Secrets Manager call and Yay request
 * the handlers send, and every log line they write (Powertools JSON at INFO, EMF on, as deployed).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { buildApp } from '../../infra/app-factory';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/provisioning-function';
import { FunctionNames } from '../../infra/names';
import { LocalEventBus, type PutEventsEntry } from '../../local/aws/event-bus/bus';
import { LocalLambda } from '../../local/aws/lambda';
import type { WorkflowEvent } from '../../local/aws/step-functions/engine';
import { LOCAL_EMAIL_CONTEXT } from '../../local/config';
import { type LocalRuntime, startLocal } from '../../local/runtime/start-local';
import type { Millis } from '../../shared/domain/credit';
import { EVENT_SOURCE } from '../../shared/domain/order-event';
import { OUTBOUND_SOURCE } from '../../shared/domain/outbound-events';
import { MetricNames } from '../../shared/metric-names';
import { observeTableCalls, type TableCall } from '../../shared/store/consumed-capacity';
import { TableSchema } from '../../shared/store/schema';
import { shopifyHeaders } from '../../test/fixtures/webhooks';
import { paidOrder } from '../soak/plan';
import type { PlannedBuyer, PlannedOrder, SoakPlan } from '../soak/plan-types';
import { type SoakWebhook, soakOrderKey } from '../soak/webhook-common';
import { buildWebhook, SOAK_CATALOG } from '../soak/webhooks';
import { buildHandlerBundle, bundleDir, median, timeNode } from './bundles';
import {
  billedMs,
  dollars,
  eventChunks,
  eventEntryBytes,
  formatUsd,
  gbSeconds,
  httpApiRequests,
  type IndexShape,
  indexWriteUnits,
  itemBytes,
  utf8Bytes,
  writeUnits,
} from './cost-model';
import { type PriceName, PriceTable } from './prices-eu-west-2';

/** Orders in the run; `BENCH_COST_ORDERS` changes it (the report states the count). At least 200 for docs/benchmarks.md. */
const ORDERS = Number(process.env.BENCH_COST_ORDERS) || 300;
/** Orders in flight at once (closed loop): a busy shop's evening, and what sets the measured concurrency. */
const IN_FLIGHT = 4;
/** Share of orders from a buyer who already has a Yay customer (a top-up: no create, a receipt not a welcome). */
const REPEAT_SHARE = 0.3;
/** Share of orders from the Shopify store (orders/create then orders/paid); the rest are Stripe Checkout. */
const SHOPIFY_SHARE = 0.4;
/** One delivery in this many is delivered a second time, as a store retries a webhook it thinks was lost. */
const DUPLICATE_EVERY = 20;
const YAY_LATENCY_MS = 50;
/** Fresh-process loads per bundle for its init time. */
const INIT_RUNS = 5;
const HOURS_PER_MONTH = 730;
const SECRETS = {
  STRIPE_WEBHOOK_SECRET: 'whsec_cost-bench-test-only-not-a-secret',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-cost-bench-test-only-not-a-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'woocommerce-cost-bench-test-only-not-a-secret',
} as const;

const price = (name: PriceName) => PriceTable.prices[name];

// ---------------------------------------------------------------------------------------------------------------
// Meters

interface Invocation {
  fn: string;
  ms: number;
  /** Starts a trace of its own (a webhook, an SES event, a schedule), rather than carrying its caller's. */
  root: boolean;
  /** Secrets it asked its cache for: what a cold environment would read from Secrets Manager. */
  secrets: number;
}

/** What one phase (the orders, one sweep, …) was measured to use. */
class Meter {
  readonly invocations: Invocation[] = [];
  readonly peak = new Map<string, number>();
  transitions = 0;
  /** Step Functions' log records for the phase (level ALL, no execution data), modelled per history event. */
  sfnLogBytes = 0;
  customEvents = 0;
  customEventChunks = 0;
  archivedBytes = 0;
  outboundLogBytes = 0;
  sesMessages = 0;
  readonly secretReads = new Map<string, Set<string>>();
  secretCalls = 0;
  readonly logBytes = new Map<string, number>();
  emfBytes = 0;
  readonly metrics = new Set<string>();
  yayBytes = 0;
  readonly dynamo = {
    reportedRead: 0,
    reportedWrite: 0,
    indexWrite: 0,
    failedConditionWrite: 0,
    /** Table write units as computed from the items, beside dynalite's report (a check of the arithmetic). */
    computedTableWrite: 0,
    unexplained: 0,
    calls: 0,
  };
}

let meter = new Meter();
const als = new AsyncLocalStorage<{ fn: string; secrets: Set<string> }>();
const inFlight = new Map<string, number>();
const shadow = new Map<string, Record<string, unknown>>();
let indexes: IndexShape[] = [];
const TABLE_KEYS = [TableSchema.partitionKey, TableSchema.sortKey];

function isRootEvent(payload: unknown): boolean {
  const event = payload as { requestContext?: unknown; source?: unknown; job?: unknown } | null;
  return Boolean(event?.requestContext) || event?.source === 'aws.ses' || event?.job !== undefined;
}

function installMeters(): void {
  const invoke = LocalLambda.prototype.invoke;
  LocalLambda.prototype.invoke = async function (this: LocalLambda, name: string, payload: unknown) {
    const now = (inFlight.get(name) ?? 0) + 1;
    inFlight.set(name, now);
    meter.peak.set(name, Math.max(meter.peak.get(name) ?? 0, now));
    const started = performance.now();
    const target = meter;
    const context = { fn: name, secrets: new Set<string>() };
    try {
      return await als.run(context, () => invoke.call(this, name, payload));
    } finally {
      target.invocations.push({
        fn: name,
        ms: performance.now() - started,
        root: isRootEvent(payload),
        secrets: context.secrets.size,
      });
      inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
    }
  };

  const accept = LocalEventBus.prototype.accept;
  LocalEventBus.prototype.accept = function (this: LocalEventBus, entries: readonly PutEventsEntry[]) {
    for (const entry of entries) {
      if (entry.Source === 'aws.ses') {
        // SES's own events to the default bus are AWS service events: free. Each "Email Sent" is one message.
        if (entry.DetailType === 'Email Sent') meter.sesMessages += 1;
        continue;
      }
      const bytes = eventEntryBytes(entry);
      meter.customEvents += 1;
      meter.customEventChunks += eventChunks(bytes);
      const envelope = JSON.stringify({
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: '123456789012',
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: PriceTable.region,
        resources: [],
        detail: JSON.parse(String(entry.Detail)),
      });
      if (entry.Source === EVENT_SOURCE) meter.archivedBytes += utf8Bytes(envelope);
      if (entry.Source === OUTBOUND_SOURCE) meter.outboundLogBytes += utf8Bytes(envelope) + 26;
    }
    return accept.call(this, entries);
  };

  // Every read through the cache (hit or miss), per invocation; and the misses that reached Secrets Manager.
  const get = SecretsProvider.prototype.get as (
    this: SecretsProvider,
    ...args: unknown[]
  ) => Promise<unknown>;
  SecretsProvider.prototype.get = function (this: SecretsProvider, ...args: unknown[]) {
    als.getStore()?.secrets.add(String(args[0]));
    return get.apply(this, args);
  } as typeof SecretsProvider.prototype.get;
  const send = SecretsManagerClient.prototype.send;
  SecretsManagerClient.prototype.send = function (this: SecretsManagerClient, ...args: unknown[]) {
    const fn = als.getStore()?.fn ?? 'unknown';
    const id = String((args[0] as { input?: { SecretId?: unknown } }).input?.SecretId);
    const reads = meter.secretReads.get(fn) ?? new Set<string>();
    reads.add(id);
    meter.secretReads.set(fn, reads);
    meter.secretCalls += 1;
    return (send as (...a: unknown[]) => Promise<unknown>).apply(this, args);
  } as typeof send;

  // The Yay client calls fetch (bound when the handler module loads, so this goes first): bytes through the NAT.
  const fetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(String(input instanceof Request ? input.url : input));
    const body = await response.clone().arrayBuffer();
    const headerBytes = (headers: Headers) =>
      [...headers].reduce((sum, [k, v]) => sum + utf8Bytes(k) + utf8Bytes(v) + 4, 0);
    meter.yayBytes +=
      utf8Bytes(`${init?.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1\r\n`) +
      headerBytes(new Headers(init?.headers)) +
      (typeof init?.body === 'string' ? utf8Bytes(init.body) : 0) +
      headerBytes(response.headers) +
      body.byteLength;
    return response;
  };

  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      const fn = als.getStore()?.fn;
      if (fn && text.trimStart().startsWith('{')) {
        const bytes = utf8Bytes(text.endsWith('\n') ? text : `${text}\n`);
        if (text.includes('"_aws"')) {
          meter.emfBytes += bytes;
          for (const key of emfMetricKeys(text)) meter.metrics.add(key);
        }
        meter.logBytes.set(fn, (meter.logBytes.get(fn) ?? 0) + bytes);
        return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }

  observeTableCalls(countTableCall);
}

/**
 * Intake's metrics, the only ones with dimensions of their own (provider, kind, reason: shared/webhooks/observer.ts).
 * In one process the handlers share one Metrics instance, so another function's metric can be flushed with intake's
 * dimensions, which deployed never happens: for every other metric only `service` counts.
 */
const DIMENSIONED_METRICS = new Set<string>([MetricNames.OrdersReceived, MetricNames.WebhooksRejected]);

/** The custom metrics (namespace, name, dimension values) one EMF blob reports. */
function emfMetricKeys(text: string): string[] {
  try {
    const blob = JSON.parse(text) as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }>;
      };
    };
    return blob._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.flatMap((metric) =>
        directive.Dimensions.map((dims) => {
          const own = DIMENSIONED_METRICS.has(metric.Name) ? dims : dims.filter((d) => d === 'service');
          return `${directive.Namespace}/${metric.Name}/${own.map((d) => `${d}=${String(blob[d])}`).join(',')}`;
        }),
      ),
    );
  } catch {
    return [];
  }
}

const keyOf = (item: Record<string, unknown>) =>
  `${String(item[TableSchema.partitionKey])}\u0000${String(item[TableSchema.sortKey])}`;

/** A table write: what DynamoDB reported (table only, from dynalite), plus the index writes it bills and reports. */
function applyWrite(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): void {
  for (const index of indexes) meter.dynamo.indexWrite += indexWriteUnits(index, before, after, TABLE_KEYS);
  meter.dynamo.computedTableWrite += Math.max(
    before ? writeUnits(itemBytes(before)) : 0,
    after ? writeUnits(itemBytes(after)) : 0,
    1,
  );
}

function countTableCall(call: TableCall): void {
  const d = meter.dynamo;
  d.calls += 1;
  const input = call.input as Record<string, unknown> & {
    Key?: Record<string, unknown>;
    Item?: Record<string, unknown>;
    IndexName?: string;
  };
  const output = call.output as
    | (Record<string, unknown> & { Item?: Record<string, unknown>; Attributes?: Record<string, unknown> })
    | undefined;
  if (call.error) {
    // A failed condition still bills the write: the size of the item as it stood, at least one unit.
    if ((call.error as Error).name === 'ConditionalCheckFailedException' && call.kind === 'write') {
      const key = keyOf(input.Key ?? input.Item ?? {});
      d.failedConditionWrite += writeUnits(itemBytes(shadow.get(key) ?? {}));
    }
    return;
  }
  if (call.units === undefined) d.unexplained += 1;
  else if (call.kind === 'read') d.reportedRead += call.units;
  else d.reportedWrite += call.units;
  switch (call.operation) {
    case 'GetItem':
      if (output?.Item) shadow.set(keyOf(output.Item), output.Item);
      break;
    case 'PutItem': {
      const item = input.Item ?? {};
      applyWrite(shadow.get(keyOf(item)), item);
      shadow.set(keyOf(item), item);
      break;
    }
    case 'UpdateItem': {
      const key = keyOf(input.Key ?? {});
      const after = output?.Attributes;
      if (!after) d.unexplained += 1;
      applyWrite(shadow.get(key), after);
      if (after) shadow.set(key, after);
      break;
    }
    case 'DeleteItem': {
      const key = keyOf(input.Key ?? {});
      applyWrite(shadow.get(key), undefined);
      shadow.delete(key);
      break;
    }
    case 'Query':
    case 'Scan': {
      const full = !input.IndexName || indexes.find((i) => i.name === input.IndexName)?.projection === 'ALL';
      for (const item of (output?.Items as Record<string, unknown>[] | undefined) ?? []) {
        if (full && !shadow.has(keyOf(item))) shadow.set(keyOf(item), item);
      }
      break;
    }
    case 'BatchGetItem':
      break;
    default:
      // Batch writes and transactions: not made by the workflow; counted, their index writes not modelled.
      d.unexplained += 1;
  }
}

/** Step Functions' CloudWatch log records for one timeline step (level ALL, includeExecutionData false). */
function sfnLogRecords(event: WorkflowEvent): number {
  const arn = `arn:aws:states:${PriceTable.region}:123456789012:execution:CustomerProvisioning:${event.executionName}`;
  const record = (type: string, details: Record<string, unknown>) =>
    utf8Bytes(
      JSON.stringify({
        id: '17',
        type,
        details,
        previous_event_id: '16',
        event_timestamp: String(event.timestamp),
        execution_arn: arn,
        redrive_count: '0',
      }),
    ) + 27; // + CloudWatch's 26 bytes of metadata per event and the newline
  const lambda = { resource: 'invoke', resourceType: 'lambda' };
  const state = event.state ?? '';
  const type = event.stateType ?? 'Task';
  switch (event.type) {
    case 'ExecutionStarted':
      return record('ExecutionStarted', {
        roleArn:
          'arn:aws:iam::123456789012:role/YayProvisioning-WorkflowStateMachineRoleXXXXXXXX-XXXXXXXXXXXX',
        inputDetails: { truncated: false },
      });
    case 'StateEntered':
      return (
        record(`${type}StateEntered`, { name: state, inputDetails: { truncated: false } }) +
        (type === 'Task'
          ? record('TaskScheduled', { ...lambda, region: PriceTable.region }) + record('TaskStarted', lambda)
          : 0)
      );
    case 'StateExited':
      return (
        (type === 'Task' ? record('TaskSucceeded', { ...lambda, outputDetails: { truncated: false } }) : 0) +
        record(`${type}StateExited`, { name: state, outputDetails: { truncated: false } })
      );
    case 'StateRetried':
      return (
        record('TaskFailed', { ...lambda, error: event.error ?? 'Error' }) +
        record('TaskScheduled', { ...lambda, region: PriceTable.region }) +
        record('TaskStarted', lambda)
      );
    case 'StateFailed':
    case 'StateCaught':
      return record('TaskFailed', { ...lambda, error: event.error ?? 'Error' });
    default:
      return record(`Execution${event.type.charAt(0)}${event.type.slice(1).toLowerCase()}`, {
        outputDetails: { truncated: false },
      });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The synthesized templates: what the functions are configured with, and what is billed by the month

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
interface Deployment {
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

function synthesize(staticEgressIp: boolean): Deployment {
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

/** One API Gateway access-log line (the stage's format, `$context` variables given typical values). */
function accessLogLineBytes(format: string, status: number, responseLength: number): number {
  const values: Record<string, string> = {
    requestId: 'JkXvQjZ1LPEEMBw=',
    identitySourceIp: '203.0.113.27',
    'identity.sourceIp': '203.0.113.27',
    'identity.caller': '-',
    'identity.user': '-',
    requestTime: '01/Dec/2026:10:15:42 +0000',
    httpMethod: 'POST',
    resourcePath: '/webhooks/stripe',
    routeKey: 'POST /webhooks/stripe',
    status: String(status),
    protocol: 'HTTP/1.1',
    responseLength: String(responseLength),
  };
  const line = format.replace(/\$context\.([A-Za-z.]+)/g, (_, name: string) => values[name] ?? '-');
  return utf8Bytes(line) + 27;
}

/** Lambda's START, END and REPORT lines of one invocation (text format, X-Ray active). */
function platformLogBytes(ms: number, memoryMb: number, initMs?: number): number {
  const id = randomUUID();
  return (
    utf8Bytes(`START RequestId: ${id} Version: $LATEST\n`) +
    utf8Bytes(`END RequestId: ${id}\n`) +
    utf8Bytes(
      `REPORT RequestId: ${id}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${billedMs(ms)} ms\t` +
        `Memory Size: ${memoryMb} MB\tMax Memory Used: 96 MB\t${initMs ? `Init Duration: ${initMs.toFixed(2)} ms\t` : ''}\n` +
        'XRAY TraceId: 1-674c3f2e-3c1a2b4d5e6f708192a3b4c5\tSegmentId: 1a2b3c4d5e6f7081\tSampled: true\t\n',
    ) +
    3 * 26
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Driving orders

interface Delivery {
  order: PlannedOrder;
  webhook: SoakWebhook;
  topic?: string;
}

/** The orders of the run: providers, buyers (new or repeat) and their webhooks. */
function planOrders(count: number): { buyers: PlannedBuyer[]; orders: PlannedOrder[] } {
  const buyers: PlannedBuyer[] = [];
  const orders: PlannedOrder[] = [];
  for (let index = 0; index < count; index += 1) {
    const provider = (index * 7) % 10 < SHOPIFY_SHARE * 10 ? 'shopify' : 'stripe';
    const same = buyers.filter((b) => b.provider === provider);
    // Deterministic: every order whose position falls in the repeat share reuses an earlier buyer of its store.
    const repeat = same.length > 0 && (index * 13) % 10 < REPEAT_SHARE * 10;
    let buyer = repeat ? same[(index * 31) % same.length] : undefined;
    if (!buyer) {
      const n = String(buyers.length).padStart(4, '0');
      buyer = {
        index: buyers.length,
        provider,
        firstName: `Cost${n}`,
        lastName: 'Bench',
        email: `cost-bench-${n}@example.com`,
        customerId: provider === 'stripe' ? `cus_costbench${n}` : `71531062731${n.padStart(8, '0')}`,
      };
      buyers.push(buyer);
    }
    const n = String(index).padStart(5, '0');
    orders.push(
      paidOrder({
        index,
        provider,
        buyer: buyer.index,
        orderId:
          provider === 'stripe' ? `cs_test_costbench${n}` : `82098291194${String(index).padStart(8, '0')}`,
        paymentIntent: `pi_costbench${n}`,
      }),
    );
  }
  return { buyers, orders };
}

/** A paid order's deliveries: Stripe's one event; Shopify's orders/create (already paid) then orders/paid. */
function deliveriesOf(plan: SoakPlan, order: PlannedOrder): Delivery[] {
  const secrets = {
    stripe: SECRETS.STRIPE_WEBHOOK_SECRET,
    shopify: SECRETS.SHOPIFY_WEBHOOK_SECRET,
    woocommerce: SECRETS.WOOCOMMERCE_WEBHOOK_SECRET,
  };
  const paid = buildWebhook(plan, order, 'paid', secrets);
  if (order.provider !== 'shopify') return [{ order, webhook: paid }];
  // The orders/create body of a card order paid at checkout is the orders/paid body: the same bytes, its own topic.
  const createId = `5a0c0000-0000-4000-8000-${String(order.index).padStart(8, '0')}9000`;
  const created: SoakWebhook = {
    ...paid,
    headers: (attempt) => ({
      ...paid.headers(attempt),
      ...shopifyHeaders(paid.body, 'orders/create', secrets.shopify),
      'X-Shopify-Webhook-Id': createId,
      'X-Shopify-Event-Id': createId,
    }),
  };
  return [
    { order, webhook: created, topic: 'orders/create' },
    { order, webhook: paid, topic: 'orders/paid' },
  ];
}

function post(agent: Agent, url: string, webhook: SoakWebhook): Promise<{ status: number; length: number }> {
  const headers = webhook.headers(0);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${webhook.path}`,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(webhook.body) } },
      (res) => {
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          length += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, length }));
      },
    );
    req.on('error', reject);
    req.end(webhook.body);
  });
}

interface RunFigures {
  orders: number;
  fulfilled: number;
  newBuyers: number;
  requests: number;
  requestBodyBytes: number;
  accessLogBytes: number;
  seconds: number;
}

async function driveOrders(rt: LocalRuntime, deployment: Deployment): Promise<RunFigures> {
  const { buyers, orders } = planOrders(ORDERS);
  const plan = { buyers } as Pick<SoakPlan, 'buyers'> as SoakPlan;
  const closed = new Map<string, () => void>();
  rt.workflow.events.on('closed', (record) => {
    if (record.orderKey) closed.get(record.orderKey)?.();
  });
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT * 2 });
  const firstOrderOf = new Map<number, Promise<void>>();
  let requests = 0;
  let requestBodyBytes = 0;
  let accessLogBytes = 0;
  let deliveries = 0;
  const send = async (delivery: Delivery) => {
    const copies = ++deliveries % DUPLICATE_EVERY === 0 ? 2 : 1;
    for (let copy = 0; copy < copies; copy += 1) {
      const answer = await post(agent, rt.url, delivery.webhook);
      requests += httpApiRequests(utf8Bytes(delivery.webhook.body));
      requestBodyBytes += utf8Bytes(delivery.webhook.body);
      accessLogBytes += accessLogLineBytes(deployment.accessLogFormat, answer.status, answer.length);
      if (answer.status !== 202) throw new Error(`webhook answered ${answer.status}`);
    }
  };
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < orders.length) {
      const order = orders[next++] as PlannedOrder;
      // A repeat buyer comes back after their first order is done, as a top-up does.
      const first = firstOrderOf.get(order.buyer);
      if (first) await first;
      const key = soakOrderKey(order);
      const done = new Promise<void>((resolve) => closed.set(key, resolve));
      if (!first) firstOrderOf.set(order.buyer, done);
      for (const delivery of deliveriesOf(plan, order)) await send(delivery);
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
      closed.delete(key);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (Date.now() - started) / 1000;
  agent.destroy();
  await rt.idle(60_000);
  return {
    orders: orders.length,
    fulfilled: 0,
    newBuyers: buyers.length,
    requests,
    requestBodyBytes,
    accessLogBytes,
    seconds,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Pricing what was measured

interface InitTimes {
  readonly ms: ReadonlyMap<string, number>;
}

async function measureInit(): Promise<InitTimes> {
  const dir = bundleDir();
  try {
    const ms = new Map<string, number>();
    timeNode(['-e', ''], dir);
    for (const name of FunctionNames) {
      const bundle = await buildHandlerBundle(name, dir);
      const samples = Array.from({ length: INIT_RUNS }, () =>
        timeNode(['--enable-source-maps', bundle], dir),
      );
      ms.set(name, median(samples));
    }
    return { ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Scenario = 'steady' | 'trickle';

interface LambdaFigures {
  requests: number;
  gbSeconds: number;
  initGbSeconds: number;
  coldStarts: number;
  platformLogBytes: number;
  secretCalls: number;
}

/**
 * Lambda for one phase: every invocation's billed duration at its function's memory, plus init for the cold starts
 * the scenario has: `steady`, one per concurrent environment the run needed (the measured peak, kept warm by the
 * stream); `trickle`, every invocation (orders far enough apart that every environment has been reclaimed). A cold
 * environment reads each secret once (the cache keeps it 300 s): steady, each of the function's secrets per cold
 * start; trickle, each secret every invocation asked for.
 */
function lambdaFigures(m: Meter, d: Deployment, init: InitTimes, scenario: Scenario): LambdaFigures {
  const figures: LambdaFigures = {
    requests: 0,
    gbSeconds: 0,
    initGbSeconds: 0,
    coldStarts: 0,
    platformLogBytes: 0,
    secretCalls: 0,
  };
  const count = new Map<string, number>();
  for (const call of m.invocations) {
    const memory = d.functions.get(call.fn)?.memoryMb ?? 512;
    figures.requests += 1;
    if (scenario === 'trickle') figures.secretCalls += call.secrets;
    figures.gbSeconds += gbSeconds(billedMs(call.ms), memory);
    figures.platformLogBytes += platformLogBytes(call.ms, memory);
    count.set(call.fn, (count.get(call.fn) ?? 0) + 1);
  }
  for (const [fn, invocations] of count) {
    const memory = d.functions.get(fn)?.memoryMb ?? 512;
    // The price table holds arm64's rate only: a function on x86_64 would be priced wrong, so stop instead.
    if (d.functions.get(fn)?.architecture !== 'arm64')
      throw new Error(`${fn} is not arm64: price it before use`);
    const cold = scenario === 'steady' ? (m.peak.get(fn) ?? 1) : invocations;
    const initMs = init.ms.get(fn) ?? 0;
    figures.coldStarts += cold;
    figures.initGbSeconds += cold * gbSeconds(billedMs(initMs), memory);
    figures.platformLogBytes += cold * utf8Bytes(`Init Duration: ${initMs.toFixed(2)} ms\t`);
    if (scenario === 'steady') figures.secretCalls += cold * (m.secretReads.get(fn)?.size ?? 0);
  }
  return figures;
}

interface Line {
  service: string;
  counted: string;
  steady: number;
  trickle: number;
}

function orderLines(m: Meter, run: RunFigures, d: Deployment, init: InitTimes): Line[] {
  const scale = 1000 / run.orders;
  const per = (count: number, name: PriceName) => dollars(count * scale, price(name));
  const steady = lambdaFigures(m, d, init, 'steady');
  const trickle = lambdaFigures(m, d, init, 'trickle');
  const functionLogBytes = [...m.logBytes.values()].reduce((a, b) => a + b, 0);
  const logBytes = (lambda: LambdaFigures) =>
    functionLogBytes + lambda.platformLogBytes + m.sfnLogBytes + run.accessLogBytes + m.outboundLogBytes;
  const GB = 1024 ** 3;
  const logs = (lambda: LambdaFigures) => per(logBytes(lambda) / GB, 'logsIngestedGb');
  const stored = (lambda: LambdaFigures) =>
    per(((logBytes(lambda) / GB) * d.logRetentionDays) / 30, 'logsStoredGbMonth');
  const traces = m.invocations.filter((call) => call.root).length;
  const dyn = m.dynamo;
  const writes = dyn.reportedWrite + dyn.indexWrite + dyn.failedConditionWrite;
  const perOrder = (count: number) => (count / run.orders).toFixed(count / run.orders < 10 ? 2 : 1);
  return [
    {
      service: 'Step Functions (Standard)',
      counted: `${perOrder(m.transitions)} state transitions`,
      steady: per(m.transitions, 'stateTransition'),
      trickle: per(m.transitions, 'stateTransition'),
    },
    {
      service: 'Lambda requests',
      counted: `${perOrder(steady.requests)} invocations`,
      steady: per(steady.requests, 'lambdaRequest'),
      trickle: per(trickle.requests, 'lambdaRequest'),
    },
    {
      service: 'Lambda duration (arm64, incl. init)',
      counted: `${perOrder(steady.gbSeconds + steady.initGbSeconds)} / ${perOrder(trickle.gbSeconds + trickle.initGbSeconds)} GB-s`,
      steady: per(steady.gbSeconds + steady.initGbSeconds, 'lambdaArmGbSecond'),
      trickle: per(trickle.gbSeconds + trickle.initGbSeconds, 'lambdaArmGbSecond'),
    },
    {
      service: 'DynamoDB writes',
      counted: `${perOrder(writes)} WRU (${perOrder(dyn.indexWrite)} of them index)`,
      steady: per(writes, 'dynamoWriteUnit'),
      trickle: per(writes, 'dynamoWriteUnit'),
    },
    {
      service: 'DynamoDB reads',
      counted: `${perOrder(dyn.reportedRead)} RRU`,
      steady: per(dyn.reportedRead, 'dynamoReadUnit'),
      trickle: per(dyn.reportedRead, 'dynamoReadUnit'),
    },
    {
      service: 'EventBridge events (+ archive)',
      counted: `${perOrder(m.customEventChunks)} events, ${(m.archivedBytes / run.orders / 1024).toFixed(1)} KB archived`,
      steady: per(m.customEventChunks, 'customEvent') + per(m.archivedBytes / GB, 'archiveGb'),
      trickle: per(m.customEventChunks, 'customEvent') + per(m.archivedBytes / GB, 'archiveGb'),
    },
    {
      service: 'API Gateway (HTTP API)',
      counted: `${perOrder(run.requests)} webhook requests`,
      steady: per(run.requests, 'httpApiRequest'),
      trickle: per(run.requests, 'httpApiRequest'),
    },
    {
      service: 'Secrets Manager calls',
      counted: `${perOrder(steady.secretCalls)} / ${perOrder(trickle.secretCalls)} calls`,
      steady: per(steady.secretCalls, 'secretsApiCall'),
      trickle: per(trickle.secretCalls, 'secretsApiCall'),
    },
    {
      service: 'SES',
      counted: `${perOrder(m.sesMessages)} e-mails`,
      steady: per(m.sesMessages, 'sesMessage'),
      trickle: per(m.sesMessages, 'sesMessage'),
    },
    {
      service: `CloudWatch Logs (ingest + ${d.logRetentionDays} d kept)`,
      counted: `${(logBytes(steady) / run.orders / 1024).toFixed(1)} / ${(logBytes(trickle) / run.orders / 1024).toFixed(1)} KB`,
      steady: logs(steady) + stored(steady),
      trickle: logs(trickle) + stored(trickle),
    },
    {
      service: 'X-Ray',
      counted: `${perOrder(traces)} traces`,
      steady: per(traces, 'xrayTrace'),
      trickle: per(traces, 'xrayTrace'),
    },
  ];
}

/** Per month, one schedule's runs at what one measured run used. */
function scheduleMonthly(m: Meter, d: Deployment, init: InitTimes, runs: number, egress: boolean): number {
  const lambda = lambdaFigures(m, d, init, 'trickle');
  const GB = 1024 ** 3;
  const logBytes =
    [...m.logBytes.values()].reduce((a, b) => a + b, 0) + lambda.platformLogBytes + m.outboundLogBytes;
  const writes = m.dynamo.reportedWrite + m.dynamo.indexWrite + m.dynamo.failedConditionWrite;
  const one =
    dollars(lambda.requests, price('lambdaRequest')) +
    dollars(lambda.gbSeconds + lambda.initGbSeconds, price('lambdaArmGbSecond')) +
    dollars(writes, price('dynamoWriteUnit')) +
    dollars(m.dynamo.reportedRead, price('dynamoReadUnit')) +
    dollars(lambda.secretCalls, price('secretsApiCall')) +
    dollars(logBytes / GB, price('logsIngestedGb')) +
    dollars(m.invocations.filter((call) => call.root).length, price('xrayTrace')) +
    dollars(1, price('schedulerInvocation')) +
    dollars(m.customEventChunks, price('customEvent')) +
    (egress ? dollars(m.yayBytes / GB, price('natGatewayGb')) : 0);
  return one * runs;
}

/** `OrdersReceived (provider=stripe)`: a metric series without its namespace and the service dimension. */
function metricLabel(key: string): string {
  const [, name, dims = ''] = key.split('/');
  const extra = dims.split(',').filter((dim) => dim && !dim.startsWith('service='));
  return extra.length > 0 ? `${name} (${extra.join(', ')})` : String(name);
}

function table(headers: string[], align: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

export default async function cost(): Promise<string> {
  process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
  const deployment = synthesize(false);
  const withEgress = synthesize(true);
  indexes = deployment.indexes;
  const init = await measureInit();
  installMeters();

  const dataDir = mkdtempSync(join(tmpdir(), 'yay-bench-cost-'));
  let rt: LocalRuntime | undefined;
  try {
    rt = await startLocal({
      env: { ...SECRETS, CDK_CONTEXT_JSON: JSON.stringify({ 'provisioning:creditCatalog': SOAK_CATALOG }) },
      overrides: { port: 0, dataDir, maxWaitSeconds: 1, logFormat: 'json' },
      print: () => undefined,
      schedules: false,
      sandbox: {
        resellerBalance: (ORDERS * 100_000) as Millis,
        faults: { latencyMs: YAY_LATENCY_MS },
      },
    });
    // EMF as deployed: local mode turns Powertools metrics off (no CloudWatch here); the bench counts their bytes.
    const { metrics } = await import('../../shared/observability');
    // `disabled` is private in the types: Powertools reads it at each flush, and offers no setter.
    (metrics as unknown as { disabled: boolean }).disabled = false;
    rt.workflow.events.on('event', (event) => {
      if (event.type === 'StateEntered' || event.type === 'StateRetried') meter.transitions += 1;
      meter.sfnLogBytes += sfnLogRecords(event);
    });

    meter = new Meter();
    const run = await driveOrders(rt, deployment);
    const orders = meter;

    const scheduled = new Map<string, Meter>();
    for (const schedule of deployment.schedules) {
      meter = new Meter();
      await rt.runSchedule(schedule.functionName);
      await rt.idle(30_000);
      scheduled.set(schedule.functionName, meter);
    }
    meter = new Meter();
    const states = new Map((await rt.store.listOrders()).map((order) => [order.orderKey, order.state]));
    const { orders: planned } = planOrders(ORDERS);
    run.fulfilled = planned.filter((order) => states.get(soakOrderKey(order)) === 'fulfilled').length;

    return report(run, orders, scheduled, deployment, withEgress, init);
  } finally {
    await rt?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(
  run: RunFigures,
  m: Meter,
  scheduled: Map<string, Meter>,
  d: Deployment,
  egressDeployment: Deployment,
  init: InitTimes,
): string {
  const lines = orderLines(m, run, d, init);
  const total = (key: 'steady' | 'trickle') => lines.reduce((sum, line) => sum + line[key], 0);
  const TARGET = 0.5;
  const verdict = (value: number) => (value < TARGET ? 'met' : 'not met');
  const perOrderTable = table(
    ['per 1,000 paid orders', 'measured per order (steady / trickle)', 'steady stream', 'trickle'],
    ['---', '---', '---:', '---:'],
    [
      ...lines.map((line) => [line.service, line.counted, formatUsd(line.steady), formatUsd(line.trickle)]),
      ['**Total**', '', `**${formatUsd(total('steady'), 3)}**`, `**${formatUsd(total('trickle'), 3)}**`],
      [`target < $${TARGET.toFixed(2)}`, '', verdict(total('steady')), verdict(total('trickle'))],
    ],
  );

  const secretsMonthly = dollars(d.secrets, price('secretMonth'));
  const alarmsMonthly = dollars(d.alarmMetrics, price('alarmMetricMonth'));
  const dashboardMonthly = dollars(d.dashboards, price('dashboardMonth'));
  // Every function but intake runs the workflow middy chain, whose logMetrics captures a ColdStart metric.
  const workflowFns = FunctionNames.filter((fn) => fn !== 'webhook-intake');
  // Deployed, each function's Metrics emits its own ColdStart metric (captureColdStartMetric); in one process the
  // shared instance emits one at most, so those are added per function here.
  const metricKeys = new Set<string>();
  for (const meterOf of [m, ...scheduled.values()])
    for (const key of meterOf.metrics) if (!key.includes('/ColdStart/')) metricKeys.add(key);
  const customMetrics = metricKeys.size + workflowFns.length;
  const metricsMonthly = dollars(customMetrics, price('customMetricMonth'));
  const kmsMonthly = dollars(d.kmsKeys, price('kmsKeyMonth'));
  const scheduleRows = d.schedules.map((schedule) => {
    const meterOf = scheduled.get(schedule.functionName) ?? new Meter();
    return {
      schedule,
      without: scheduleMonthly(meterOf, d, init, schedule.perMonth, false),
      with: scheduleMonthly(meterOf, egressDeployment, init, schedule.perMonth, true),
    };
  });
  const natMonthly = dollars(egressDeployment.natGateways * HOURS_PER_MONTH, price('natGatewayHour'));
  const ipMonthly = dollars(egressDeployment.elasticIps * HOURS_PER_MONTH, price('publicIpv4Hour'));
  const natDataPer1000 = dollars(((m.yayBytes / run.orders) * 1000) / 1024 ** 3, price('natGatewayGb'));
  const fixedRows: Array<[string, string, number, number]> = [
    [`Secrets Manager`, `${d.secrets} secrets`, secretsMonthly, secretsMonthly],
    [
      `CloudWatch alarms`,
      `${d.alarms} alarms, ${d.alarmMetrics} alarm metrics`,
      alarmsMonthly,
      alarmsMonthly,
    ],
    [
      `CloudWatch dashboard`,
      `${d.dashboards} (free if the account has ≤ 3)`,
      dashboardMonthly,
      dashboardMonthly,
    ],
    [`CloudWatch custom metrics`, `${customMetrics} metric series`, metricsMonthly, metricsMonthly],
    [`KMS key (alarm topic)`, `${d.kmsKeys} key`, kmsMonthly, kmsMonthly],
    ...scheduleRows.map((row): [string, string, number, number] => [
      `Schedule: ${row.schedule.functionName}`,
      `${Math.round(row.schedule.perMonth).toLocaleString('en-GB')} runs`,
      row.without,
      row.with,
    ]),
    [
      'NAT gateway + Elastic IP',
      `${egressDeployment.natGateways} gateway, ${egressDeployment.elasticIps} address × ${HOURS_PER_MONTH} h`,
      0,
      natMonthly + ipMonthly,
    ],
  ];
  const fixedTotal = (i: 2 | 3) => fixedRows.reduce((sum, row) => sum + row[i], 0);
  const fixedTable = table(
    ['fixed, per month', 'what', 'without fixed egress IP', 'with it'],
    ['---', '---', '---:', '---:'],
    [
      ...fixedRows.map(([service, what, without, withIp]) => [
        service,
        what,
        formatUsd(without, 2),
        formatUsd(withIp, 2),
      ]),
      ['**Total**', '', `**${formatUsd(fixedTotal(2), 2)}**`, `**${formatUsd(fixedTotal(3), 2)}**`],
    ],
  );

  const byFunction = FunctionNames.filter((fn) => m.invocations.some((call) => call.fn === fn)).map((fn) => {
    const calls = m.invocations.filter((call) => call.fn === fn);
    const ms = median(calls.map((call) => call.ms));
    const cfg = d.functions.get(fn);
    return `${fn} ${(calls.length / run.orders).toFixed(2)}× · ${ms.toFixed(0)} ms · init ${(init.ms.get(fn) ?? 0).toFixed(0)} ms · ${cfg?.memoryMb} MB ${cfg?.architecture} · peak ${m.peak.get(fn) ?? 0}`;
  });
  const dyn = m.dynamo;
  const check =
    dyn.reportedWrite > 0 ? `${((100 * dyn.computedTableWrite) / dyn.reportedWrite).toFixed(1)}%` : 'n/a';
  const secretsLocal = m.secretCalls;
  const kb = (bytes: number) => `${(bytes / run.orders / 1024).toFixed(2)} KB`;
  const handlerBytes = [...m.logBytes.values()].reduce((a, b) => a + b, 0);
  const platform = lambdaFigures(m, d, init, 'steady').platformLogBytes;
  return [
    '### What an order costs (`npm run bench -- cost`)',
    '',
    `${run.orders} paid orders (${run.fulfilled} fulfilled) sent to local mode as signed webhooks, ${Math.round(SHOPIFY_SHARE * 100)}% Shopify (orders/create then orders/paid) and ${Math.round((1 - SHOPIFY_SHARE) * 100)}% Stripe Checkout (one event), one delivery in ${DUPLICATE_EVERY} sent twice, ${run.orders - run.newBuyers} of them (${Math.round((100 * (run.orders - run.newBuyers)) / run.orders)}%) repeat buyers topping up; ${IN_FLIGHT} orders in flight, Yay sandbox at ${YAY_LATENCY_MS} ms, ${run.seconds.toFixed(0)} s. Counts measured in the run and scaled to 1,000; AWS list prices for ${PriceTable.regionName} (${PriceTable.region}) as checked on ${PriceTable.checked} (tools/bench/prices-eu-west-2.ts; free tiers not applied). **Steady stream**: one cold start per concurrent environment the run needed (its measured peak per function); **trickle**: orders so far apart that every invocation is a cold start. Method: tools/bench/COST.md.`,
    '',
    perOrderTable,
    '',
    fixedTable,
    '',
    `With the fixed egress IP, Yay traffic through the NAT gateway adds ${formatUsd(natDataPer1000)} per 1,000 orders (${(m.yayBytes / run.orders / 1024).toFixed(1)} KB per order, HTTP bytes, TLS excluded).`,
    '',
    '<details><summary>Measured per function (invocations per order · median duration · init · memory · peak concurrency)</summary>',
    '',
    ...byFunction.map((line) => `- ${line}`),
    '',
    `Log bytes per order: handlers' JSON ${kb(handlerBytes - m.emfBytes)} + EMF ${kb(m.emfBytes)}, Lambda START/END/REPORT ${kb(platform)}, Step Functions ${kb(m.sfnLogBytes)} (modelled per history event), API access log ${kb(run.accessLogBytes)}, outbound-events log ${kb(m.outboundLogBytes)}. Custom metric series: ${[...metricKeys].map(metricLabel).join(', ')}, and ColdStart for each of ${workflowFns.length} functions.`,
    '',
    `DynamoDB: ${dyn.calls} calls; table units as reported by ReturnConsumedCapacity, index writes and failed conditions computed from item sizes (check: computed table writes = ${check} of reported); ${dyn.unexplained} calls not modelled. Secrets Manager calls that reached the stand-in: ${secretsLocal} (one environment per function, 300 s cache).`,
    '',
    '</details>',
  ].join('\n');
}
