/**
 * The cost benchmark's meters on local mode's seams, installed once before it starts: every Lambda invocation
 * (LocalLambda: duration, concurrency, the secrets it read), every PutEvents entry (the bus: events, archive, the
 * outbound-events log, SES messages), every Secrets Manager call, every Yay request's bytes (fetch), every log line
 * the handlers write (EMF and its metric series included), every DynamoDB call (tools/bench/cost-table-meter.ts) and
 * every state the engine enters. Each counts into the current phase (tools/bench/cost-phase.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LocalEventBus, type PutEventsEntry } from '../../local/aws/event-bus/bus';
import { LocalLambda } from '../../local/aws/lambda';
import type { LocalRuntime } from '../../local/runtime/start-local';
import { EVENT_SOURCE } from '../../shared/domain/order-event';
import { OUTBOUND_SOURCE } from '../../shared/domain/outbound-events';
import { MetricNames } from '../../shared/metric-names';
import { sfnLogRecords } from './cost-aws-logs';
import { eventChunks, eventEntryBytes, type IndexShape, utf8Bytes } from './cost-model';
import { meter } from './cost-phase';
import { meterTableCalls } from './cost-table-meter';
import { PriceTable } from './prices-eu-west-2';

const als = new AsyncLocalStorage<{ fn: string; secrets: Set<string> }>();
const inFlight = new Map<string, number>();

function isRootEvent(payload: unknown): boolean {
  const event = payload as { requestContext?: unknown; source?: unknown; job?: unknown } | null;
  return Boolean(event?.requestContext) || event?.source === 'aws.ses' || event?.job !== undefined;
}

/** Installs every meter, once; `indexes` are the synthesized table's GSIs, for the DynamoDB meter. */
export function installMeters(indexes: IndexShape[]): void {
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

  meterTableCalls(indexes);
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

/** State transitions (states entered + retries) and Step Functions' log records, from the engine's timeline. */
export function meterStates(rt: LocalRuntime): void {
  rt.workflow.events.on('event', (event) => {
    if (event.type === 'StateEntered' || event.type === 'StateRetried') meter.transitions += 1;
    meter.sfnLogBytes += sfnLogRecords(event);
  });
}
