import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessCheck } from '../../iam/access';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalArchive,
  type LocalRule,
  type LocalRuleTarget,
} from '../template/types';
import { LocalBusArchives } from './archive';
import { EventLog, type Pending } from './event-log';
import { matchesPattern } from './pattern';
import { eventBridgeService } from './service';

/** An event as a rule target receives it (the EventBridge envelope). */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** Set on an event a replay sends again: the replay's name. */
  'replay-name'?: string;
}

/** The two buses: EventBridge's default one (SES's events) and the provisioning bus. */
export type BusName = 'default' | 'provisioning';

export interface LocalEventBusOptions {
  /** The provisioning bus's name as the handlers are told it (`EVENT_BUS_NAME`). */
  readonly busName: string;
  readonly rules: readonly LocalRule[];
  /** Invokes a target function; the bus does not wait for it (asynchronous invocation). */
  readonly invoke: (functionName: string, event: unknown) => Promise<unknown>;
  /** Told about a delivery that failed after Lambda's two automatic retries. */
  readonly onDeliveryFailed?: (functionName: string, event: BusEvent, error: Error) => void;
  /** Accepted events and finished deliveries are appended to `<dataDir>/events.jsonl`. */
  readonly dataDir: string;
  /** The templates' archives of these buses (`<dataDir>/archives/`), which replays read. @default none */
  readonly archives?: readonly LocalArchive[];
  /** The project's bus's description, as DescribeEventBus shows it. @default none */
  readonly busDescription?: string;
}

/** A rule as ListRules and DescribeRule show it: the template's (with its `id`), or one EventBridge manages. */
export interface ListedRule {
  readonly id?: string;
  readonly name: string;
  readonly bus: BusName;
  readonly pattern: unknown;
  readonly state: string;
  readonly description?: string;
  readonly managedBy?: string;
  readonly targets: readonly LocalRuleTarget[];
}

/** One target of one matching rule, for one event. */
interface Delivery {
  /** `<rule id>/<target index>`: what a finished delivery is recorded under. */
  readonly key: string;
  readonly functionName: string;
  readonly input: unknown;
}

/** One entry of PutEvents, as the SDK sends it. */
export interface PutEventsEntry {
  EventBusName?: unknown;
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

export type PutEventsResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** The file a rule's CloudWatch Logs target writes to locally: `<dataDir>/logs/<log group, / as _>.jsonl`. */
export function localLogGroupFile(dataDir: string, logGroupName: string): string {
  return join(dataDir, 'logs', `${logGroupName.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`);
}

function pick(event: unknown, path: string): unknown {
  // Targets' InputPath is a plain JSONPath like `$.detail`.
  const keys = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
  let value: unknown = event;
  for (const key of keys)
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/**
 * EventBridge PutEvents for local mode: each entry becomes an envelope, is matched against the template's
 * rules for its bus, and every matching target is invoked asynchronously, as Lambda's async invocation
 * does it: the caller gets its event id at once, a failing target is retried twice, then reported.
 *
 * Durable as EventBridge is: an entry that matches a rule is on disk before PutEvents answers, so an
 * intake that answered 202 after it has lost nothing if local mode is killed the next instant. Each
 * finished delivery is recorded; a new bus on the same data dir drops what finished from the file and
 * delivers the rest again ({@link redeliver}): at least once, as EventBridge (dispatch is idempotent).
 */
export class LocalEventBus {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly pending = new Map<string, Pending>();
  private readonly log: EventLog;
  /** The archives and their replays. */
  readonly archives: LocalBusArchives;
  /** When this bus was made: DescribeEventBus's creation time. */
  readonly createdAt = Date.now();

  constructor(readonly options: LocalEventBusOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.archives = new LocalBusArchives(options.dataDir, options.archives ?? []);
    this.log = new EventLog(join(options.dataDir, 'events.jsonl'));
    for (const [id, entry] of this.log.read()) {
      if (this.unfinished(entry).length > 0) this.pending.set(id, entry);
    }
    this.log.compact(this.pending.values());
  }

  /** The bus a name or ARN names (none: the default bus), or undefined for one local mode does not have. */
  busOf(name: unknown): BusName | undefined {
    if (
      name === undefined ||
      name === 'default' ||
      (typeof name === 'string' && name.endsWith(':event-bus/default'))
    ) {
      return 'default';
    }
    const bus = this.options.busName;
    if (name === bus || (typeof name === 'string' && name.endsWith(`:event-bus/${bus}`)))
      return 'provisioning';
    return undefined;
  }

  /** The rules of `bus` that take `event` (of `only` when a replay names them). */
  private matching(bus: BusName, event: BusEvent, only?: readonly string[]): LocalRule[] {
    return this.options.rules.filter(
      (rule) => rule.bus === bus && (!only || only.includes(rule.id)) && matchesPattern(rule.pattern, event),
    );
  }

  /** The log groups the rules of `bus` send `event` to (CloudWatch Logs targets). */
  private logGroupsOf(bus: BusName, event: BusEvent, only?: readonly string[]): string[] {
    const groups: string[] = [];
    for (const rule of this.matching(bus, event, only)) {
      for (const target of rule.logGroupTargets ?? []) groups.push(target.logGroupName);
    }
    return groups;
  }

  /** The deliveries the rules of `bus` make of `event`, in rule order. */
  private deliveriesOf(bus: BusName, event: BusEvent, only?: readonly string[]): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const rule of this.matching(bus, event, only)) {
      rule.targets.forEach((target, index) => {
        const input =
          target.input !== undefined
            ? target.input
            : target.inputPath
              ? pick(event, target.inputPath)
              : event;
        deliveries.push({ key: `${rule.id}/${index}`, functionName: target.functionName, input });
      });
    }
    return deliveries;
  }

  private unfinished(entry: Pending): Delivery[] {
    return this.deliveriesOf(entry.bus, entry.event, entry.rules).filter((d) => !entry.finished.has(d.key));
  }

  private start(entry: Pending, deliveries: readonly Delivery[]): void {
    for (const delivery of deliveries) {
      const running = this.deliver(delivery, entry.event).then(() => this.finish(entry, delivery.key));
      this.inFlight.add(running);
      void running.finally(() => this.inFlight.delete(running));
    }
  }

  private finish(entry: Pending, key: string): void {
    entry.finished.add(key);
    if (this.log.closed) return;
    this.log.append([{ delivered: entry.event.id, target: key }], false);
    if (this.unfinished(entry).length === 0) this.pending.delete(entry.event.id);
    if (this.log.wantsCompaction) this.log.compact(this.pending.values());
  }

  private async deliver(delivery: Delivery, event: BusEvent): Promise<void> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.options.invoke(delivery.functionName, delivery.input);
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
      }
    }
    this.options.onDeliveryFailed?.(delivery.functionName, event, lastError as Error);
  }

  /**
   * Delivers again what a previous process accepted but did not finish delivering; resolves with how many
   * events that was. Call once the targets can be invoked.
   */
  redeliver(): number {
    const entries = [...this.pending.values()];
    for (const entry of entries) this.start(entry, this.unfinished(entry));
    return entries.length;
  }

  /** Counts `running` as in flight until it settles: `idle()` waits for it (a replay). */
  track(running: Promise<void>): void {
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  /** Resolves once every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Closes the log. Deliveries still running are delivered again by the next bus on this data dir. */
  close(): Promise<void> {
    return this.log.close();
  }

  /**
   * PutEvents' work, for the stand-in and for local mode's own producers (the SES stand-in's "Email Sent"):
   * every entry matched, the matching ones on disk (fsynced, see `EventLog.durable`) before this resolves, then
   * delivered. A log-group target's events are appended to its file ({@link localLogGroupFile}) then too.
   */
  async accept(entries: readonly PutEventsEntry[]): Promise<PutEventsResult[]> {
    const envelopes: Array<{ bus: BusName; event: BusEvent }> = [];
    const results = entries.map((raw): PutEventsResult => {
      const bus = this.busOf(raw.EventBusName);
      if (!bus)
        return {
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `Event bus ${String(raw.EventBusName)} does not exist.`,
        };
      if (
        typeof raw.Source !== 'string' ||
        typeof raw.DetailType !== 'string' ||
        typeof raw.Detail !== 'string'
      ) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and Detail are required' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(raw.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const id = randomUUID();
      const time = raw.Time === undefined ? new Date() : new Date(Number(raw.Time) * 1000);
      envelopes.push({
        bus,
        event: {
          version: '0',
          id,
          'detail-type': raw.DetailType,
          source: raw.Source,
          account: LOCAL_ACCOUNT,
          time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: LOCAL_REGION,
          resources: Array.isArray(raw.Resources) ? (raw.Resources as string[]) : [],
          detail,
        },
      });
      return { EventId: id };
    });
    await this.send(envelopes);
    return results;
  }

  /**
   * Puts envelopes on their bus: the ones some rule takes on disk (fsynced) before this resolves, then delivered; a
   * log-group target's events appended to its file, and every event kept in the archives it matches. A replayed
   * event carries the rules it may go to.
   */
  /**
   * Puts envelopes on their bus (see below); a replay puts its events back through here.
   */
  async send(envelopes: ReadonlyArray<{ bus: BusName; event: BusEvent; rules?: readonly string[] }>) {
    const accepted: Array<{ entry: Pending; deliveries: Delivery[] }> = [];
    const logged: Array<{ group: string; event: BusEvent }> = [];
    for (const { bus, event, rules } of envelopes) {
      for (const group of this.logGroupsOf(bus, event, rules)) logged.push({ group, event });
      const deliveries = this.deliveriesOf(bus, event, rules);
      // An event no rule matches goes nowhere: nothing to keep.
      if (deliveries.length > 0)
        accepted.push({
          entry: { bus, event, ...(rules ? { rules } : {}), finished: new Set() },
          deliveries,
        });
    }
    if (accepted.length > 0) {
      // A failure here answers 500 with nothing delivered, and the caller (intake) fails its webhook so the
      // store sends it again.
      this.log.append(
        accepted.map(({ entry }) => ({
          accepted: { bus: entry.bus, event: entry.event, ...(entry.rules ? { rules: entry.rules } : {}) },
        })),
        true,
      );
      await this.log.durable();
    }
    for (const { group, event } of logged) {
      const file = localLogGroupFile(this.options.dataDir, group);
      mkdirSync(join(file, '..'), { recursive: true });
      appendFileSync(file, `${JSON.stringify(event)}\n`);
    }
    for (const { bus, event } of envelopes) this.archives.record(bus, event);
    for (const { entry, deliveries } of accepted) {
      this.pending.set(entry.event.id, entry);
      this.start(entry, deliveries);
    }
  }

  /** A bus's ARN. */
  busArn(bus: BusName): string {
    return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${this.busName(bus)}`;
  }

  /** A bus's name: `default`, or the provisioning bus's. */
  busName(bus: BusName): string {
    return bus === 'default' ? 'default' : this.options.busName;
  }

  /** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another, as EventBridge names them. */
  ruleArn(rule: ListedRule): string {
    const path = rule.bus === 'default' ? rule.name : `${this.options.busName}/${rule.name}`;
    return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${path}`;
  }

  /**
   * The rules ListRules shows: the template's, and the one EventBridge manages for each archive
   * (`Events-Archive-<name>`: the archive's pattern, never a replayed event).
   */
  listedRules(): ListedRule[] {
    return [
      ...this.options.rules.map((rule) => ({
        id: rule.id,
        name: rule.name ?? rule.id,
        bus: rule.bus,
        pattern: rule.pattern,
        state: rule.state ?? 'ENABLED',
        ...(rule.description ? { description: rule.description } : {}),
        targets: rule.apiTargets ?? [],
      })),
      ...[...this.archives.archives.values()].map((archive) => ({
        name: `Events-Archive-${archive.name}`,
        bus: archive.bus,
        pattern: { ...archive.pattern, 'replay-name': [{ exists: false }] },
        state: 'ENABLED',
        managedBy: 'prod.vhs.events.aws.internal',
        targets: [],
      })),
    ];
  }

  /**
   * PutEvents, and the reads an operator makes of the buses, their rules and targets, the archive and its replays
   * (StartReplay, DescribeReplay, ListReplays, CancelReplay), over loopback; `access` enforces IAM.
   */
  serviceHandler(access?: AccessCheck) {
    return eventBridgeService(this, access);
  }
}
