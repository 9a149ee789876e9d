import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AccessCheck, AccessRequest } from '../../iam/access';
import { AwsServiceError, awsJsonHandler, pageOf, requireMember } from '../aws-json';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalArchive,
  type LocalRule,
  type LocalRuleTarget,
} from '../template/types';
import { type ArchiveState, archiveArn, LocalBusArchives, type ReplayRecord, replayArn } from './archive';
import { matchesPattern } from './pattern';

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

type BusName = 'default' | 'provisioning';

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

/**
 * One line of `events.jsonl`: an event accepted by PutEvents (written with fsync before PutEvents answers),
 * or one of its deliveries finished (delivered, or given up on after the retries, as Lambda gives up).
 */
type LogLine =
  | { accepted: { bus: BusName; event: BusEvent; rules?: readonly string[] } }
  | { delivered: string; target: string };

/** An accepted event with deliveries still to finish. */
interface Pending {
  readonly bus: BusName;
  readonly event: BusEvent;
  /** A replayed event goes to these rules only (the replay's FilterArns); any other to every matching rule. */
  readonly rules?: readonly string[];
  /** Keys of its deliveries that finished. */
  readonly finished: Set<string>;
}

/** A rule as ListRules and DescribeRule show it: the template's (with its `id`), or one EventBridge manages. */
interface ListedRule {
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

/** Past this much log written since the last compaction, finished entries are dropped from the file. */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

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
  private readonly file: string;
  private fd: number | undefined;
  /** Bytes in the file, and how many of them the last compaction kept. */
  private size = 0;
  private compactedSize = 0;
  /** The fsync in flight, if any (off the main thread), and who waits for the one after it. */
  private syncing: Promise<void> | undefined;
  private syncWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private readonly archives: LocalBusArchives;
  private readonly createdAt = Date.now();

  constructor(private readonly options: LocalEventBusOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.archives = new LocalBusArchives(options.dataDir, options.archives ?? []);
    this.file = join(options.dataDir, 'events.jsonl');
    this.load();
    this.compact();
  }

  private busOf(name: unknown): BusName | undefined {
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

  private load(): void {
    if (!existsSync(this.file)) return;
    for (const text of readFileSync(this.file, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        // A line cut short by a crash mid-write: it was never acknowledged, so nothing is lost with it.
        continue;
      }
      if ('accepted' in line) {
        const { bus, event, rules } = line.accepted;
        this.pending.set(event.id, { bus, event, ...(rules ? { rules } : {}), finished: new Set() });
      } else {
        this.pending.get(line.delivered)?.finished.add(line.target);
      }
    }
    for (const [id, entry] of this.pending) {
      if (this.unfinished(entry).length === 0) this.pending.delete(id);
    }
  }

  private unfinished(entry: Pending): Delivery[] {
    return this.deliveriesOf(entry.bus, entry.event, entry.rules).filter((d) => !entry.finished.has(d.key));
  }

  /**
   * Rewrites the file with only the events still to deliver (and their finished deliveries), through a
   * temporary file renamed over it, so a crash leaves either the old file or the new one.
   */
  private compact(): void {
    const lines: LogLine[] = [];
    for (const { bus, event, rules, finished } of this.pending.values()) {
      lines.push({ accepted: { bus, event, ...(rules ? { rules } : {}) } });
      for (const target of finished) lines.push({ delivered: event.id, target });
    }
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.size = statSync(this.file).size;
    this.compactedSize = this.size;
  }

  private append(lines: readonly LogLine[], durable: boolean): void {
    if (this.fd === undefined) {
      // Closed: nothing may be acknowledged that is not on disk.
      if (durable) throw new Error('the local event bus is closed');
      return;
    }
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    this.size += writeSync(this.fd, text);
  }

  /**
   * Resolves once everything appended so far is on disk. Group commit: one fsync, in libuv's thread pool rather
   * than on the main thread, covers every batch appended before it started; batches appended meanwhile wait for
   * the next one. Only acceptance must survive a crash (a lost "delivered" line means one more, idempotent,
   * delivery), so only accept() waits.
   */
  private durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (!this.syncing) this.sync();
    });
  }

  private sync(): void {
    const fd = this.fd;
    const waiters = this.syncWaiters.splice(0);
    if (fd === undefined) {
      for (const waiter of waiters) waiter.reject(new Error('the local event bus is closed'));
      return;
    }
    this.syncing = new Promise((done) =>
      fsync(fd, (error) => {
        for (const waiter of waiters) error ? waiter.reject(error) : waiter.resolve();
        this.syncing = undefined;
        if (this.syncWaiters.length > 0) this.sync();
        done();
      }),
    );
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
    if (this.fd === undefined) return;
    this.append([{ delivered: entry.event.id, target: key }], false);
    if (this.unfinished(entry).length === 0) this.pending.delete(entry.event.id);
    // Not while an fsync of the current file is in flight: compaction closes it.
    if (!this.syncing && this.size > this.compactedSize + COMPACT_AFTER_BYTES) this.compact();
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

  /** Resolves once every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Closes the log. Deliveries still running are delivered again by the next bus on this data dir. */
  async close(): Promise<void> {
    // An fsync in flight finishes on the file it began on before that file is closed.
    await this.syncing;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    for (const waiter of this.syncWaiters.splice(0))
      waiter.reject(new Error('the local event bus is closed'));
  }

  /**
   * PutEvents' work, for the stand-in and for local mode's own producers (the SES stand-in's "Email Sent"):
   * every entry matched, the matching ones on disk (fsynced, see {@link durable}) before this resolves, then
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
  private async send(envelopes: ReadonlyArray<{ bus: BusName; event: BusEvent; rules?: readonly string[] }>) {
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
      this.append(
        accepted.map(({ entry }) => ({
          accepted: { bus: entry.bus, event: entry.event, ...(entry.rules ? { rules: entry.rules } : {}) },
        })),
        true,
      );
      await this.durable();
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

  private busArn(bus: BusName): string {
    return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${this.busName(bus)}`;
  }

  private busName(bus: BusName): string {
    return bus === 'default' ? 'default' : this.options.busName;
  }

  /** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on another, as EventBridge names them. */
  private ruleArn(rule: ListedRule): string {
    const path = rule.bus === 'default' ? rule.name : `${this.options.busName}/${rule.name}`;
    return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${path}`;
  }

  /**
   * The rules ListRules shows: the template's, and the one EventBridge manages for each archive
   * (`Events-Archive-<name>`: the archive's pattern, never a replayed event).
   */
  private listedRules(): ListedRule[] {
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

  /** The bus a request names (`EventBusName`, `Name`: a name or an ARN; none is the default bus), or 404. */
  private requireBus(name: unknown): BusName {
    const bus = this.busOf(name === '' ? undefined : name);
    if (!bus)
      throw new AwsServiceError('ResourceNotFoundException', `Event bus ${String(name)} does not exist.`);
    return bus;
  }

  private requireRule(name: unknown, busName: unknown): ListedRule {
    const bus = this.requireBus(busName);
    const rule = this.listedRules().find((r) => r.bus === bus && r.name === name);
    if (!rule) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Rule ${String(name)} does not exist on EventBus ${this.busName(bus)}.`,
      );
    }
    return rule;
  }

  private requireArchive(name: unknown): ArchiveState {
    const archive = typeof name === 'string' ? this.archives.archives.get(name) : undefined;
    if (!archive)
      throw new AwsServiceError('ResourceNotFoundException', `Archive ${String(name)} does not exist.`);
    return archive;
  }

  private requireReplay(name: unknown): ReplayRecord {
    const replay = typeof name === 'string' ? this.archives.replays.get(name) : undefined;
    if (!replay)
      throw new AwsServiceError('ResourceNotFoundException', `Replay ${String(name)} does not exist.`);
    return replay;
  }

  /**
   * StartReplay: the archive's events of [EventStartTime, EventEndTime) sent again onto the archive's own bus (the
   * only destination EventBridge allows), to the rules of FilterArns or to all of the bus's, each with `replay-name`.
   * Answers STARTING; the replay runs at once, RUNNING until every event is on the bus (durably, as PutEvents), then
   * COMPLETED. Deliveries happen as for any event (`idle()` waits for them); downstream, dispatch collapses an order's
   * events onto one execution, so a replay of a wide window is safe.
   */
  private startReplay(input: Record<string, unknown>): ReplayRecord {
    const name = requireMember(input, 'ReplayName');
    if (this.archives.replays.has(name))
      throw new AwsServiceError('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
    const source = requireMember(input, 'EventSourceArn');
    const archive = [...this.archives.archives.values()].find((a) => a.arn === source);
    if (!archive) throw new AwsServiceError('ResourceNotFoundException', `Archive ${source} does not exist.`);
    const destination = (input.Destination ?? {}) as { Arn?: unknown; FilterArns?: unknown };
    if (destination.Arn !== this.busArn(archive.bus)) {
      throw new AwsServiceError(
        'ValidationException',
        'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.',
      );
    }
    const filterArns = Array.isArray(destination.FilterArns) ? destination.FilterArns.map(String) : undefined;
    const rules = filterArns?.map((arn) => {
      const rule = this.listedRules().find((r) => r.bus === archive.bus && this.ruleArn(r) === arn);
      if (!rule?.id) throw new AwsServiceError('ResourceNotFoundException', `Rule ${arn} does not exist.`);
      return rule.id;
    });
    const start = Number(input.EventStartTime) * 1000;
    const end = Number(input.EventEndTime) * 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
      throw new AwsServiceError(
        'ValidationException',
        'Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.',
      );
    }
    const replay: ReplayRecord = {
      name,
      ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
      archiveName: archive.name,
      state: 'STARTING',
      destination: { Arn: String(destination.Arn), ...(filterArns ? { FilterArns: filterArns } : {}) },
      eventStartTime: start,
      eventEndTime: end,
      replayStartTime: Date.now(),
    };
    this.archives.saveReplay(replay);
    const running = this.replay(replay, archive, rules);
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return replay;
  }

  private async replay(
    replay: ReplayRecord,
    archive: ArchiveState,
    rules?: readonly string[],
  ): Promise<void> {
    const events = this.archives.eventsBetween(archive, replay.eventStartTime, replay.eventEndTime);
    this.archives.saveReplay({ ...replay, state: 'RUNNING' });
    let last: number | undefined;
    try {
      // Ten at a time, as PutEvents takes them: one fsync per batch.
      for (let at = 0; at < events.length; at += 10) {
        if (this.archives.replays.get(replay.name)?.state === 'CANCELLING') break;
        const batch = events.slice(at, at + 10);
        await this.send(
          batch.map((event) => ({
            bus: archive.bus,
            event: { ...event, 'replay-name': replay.name },
            ...(rules ? { rules } : {}),
          })),
        );
        last = Date.parse((batch.at(-1) as BusEvent).time);
      }
      const cancelled = this.archives.replays.get(replay.name)?.state === 'CANCELLING';
      this.archives.saveReplay({
        ...replay,
        state: cancelled ? 'CANCELLED' : 'COMPLETED',
        replayEndTime: Date.now(),
        ...(last !== undefined ? { eventLastReplayedTime: last } : {}),
      });
    } catch (error) {
      this.archives.saveReplay({
        ...replay,
        state: 'FAILED',
        stateReason: error instanceof Error ? error.message : String(error),
        replayEndTime: Date.now(),
      });
    }
  }

  /**
   * What IAM authorizes a call on. PutEvents: each entry's bus (by name or ARN, `default` when none), with the entry's
   * `events:source` and `events:detail-type`; one entry denied denies the whole call, as EventBridge does. The
   * operator's reads: the bus, rule, archive or replay they name, `*` for a listing.
   */
  accessRequests(operation: string, input: Record<string, unknown>): AccessRequest[] {
    const action = `events:${operation}`;
    const arn = (kind: string, name: unknown) =>
      typeof name === 'string' && name.startsWith('arn:')
        ? name
        : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${kind}/${typeof name === 'string' && name !== '' ? name : 'default'}`;
    switch (operation) {
      case 'PutEvents': {
        const entries = Array.isArray(input.Entries) ? (input.Entries as PutEventsEntry[]) : [];
        return entries.map((entry) => ({
          action,
          resource: arn('event-bus', entry.EventBusName),
          context: {
            ...(typeof entry.Source === 'string' ? { 'events:source': entry.Source } : {}),
            ...(typeof entry.DetailType === 'string' ? { 'events:detail-type': entry.DetailType } : {}),
          },
        }));
      }
      case 'DescribeEventBus':
        return [{ action, resource: arn('event-bus', input.Name) }];
      case 'DescribeRule':
      case 'ListTargetsByRule': {
        const name = String(input.Name ?? input.Rule ?? '');
        const bus = String(input.EventBusName ?? 'default');
        return [{ action, resource: arn('rule', bus === 'default' ? name : `${bus}/${name}`) }];
      }
      case 'DescribeArchive':
        return [{ action, resource: arn('archive', input.ArchiveName) }];
      case 'StartReplay':
      case 'DescribeReplay':
      case 'CancelReplay':
        return [{ action, resource: arn('replay', input.ReplayName) }];
      default:
        return [{ action, resource: '*' }];
    }
  }

  /**
   * PutEvents, and the reads an operator makes of the buses, their rules and targets, the archive and its replays
   * (StartReplay, DescribeReplay, ListReplays, CancelReplay), over loopback; `access` enforces IAM.
   */
  serviceHandler(access?: AccessCheck) {
    const epoch = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    const paging = (scope: string) => ({
      defaultSize: 100,
      maxSize: 100,
      scope,
      invalidToken: (token: string) =>
        new AwsServiceError('ValidationException', `Invalid NextToken: ${token}`),
    });
    const buses: BusName[] = ['default', 'provisioning'];
    const describeBus = (bus: BusName) => ({
      Name: this.busName(bus),
      Arn: this.busArn(bus),
      ...(bus === 'provisioning' && this.options.busDescription
        ? { Description: this.options.busDescription }
        : {}),
      CreationTime: epoch(this.createdAt),
      LastModifiedTime: epoch(this.createdAt),
    });
    const describeRule = (rule: ListedRule) => ({
      Name: rule.name,
      Arn: this.ruleArn(rule),
      EventPattern: JSON.stringify(rule.pattern),
      State: rule.state,
      ...(rule.description ? { Description: rule.description } : {}),
      ...(rule.managedBy ? { ManagedBy: rule.managedBy } : {}),
      EventBusName: this.busName(rule.bus),
    });
    const describeArchive = (archive: ArchiveState) => ({
      ArchiveName: archive.name,
      EventSourceArn: this.busArn(archive.bus),
      State: 'ENABLED',
      RetentionDays: archive.retentionDays ?? 0,
      SizeBytes: archive.sizeBytes,
      EventCount: archive.eventCount,
      CreationTime: epoch(this.createdAt),
    });
    const describeReplay = (replay: ReplayRecord) => ({
      ReplayName: replay.name,
      EventSourceArn: archiveArn(replay.archiveName),
      State: replay.state,
      ...(replay.stateReason ? { StateReason: replay.stateReason } : {}),
      EventStartTime: epoch(replay.eventStartTime),
      EventEndTime: epoch(replay.eventEndTime),
      EventLastReplayedTime: epoch(replay.eventLastReplayedTime),
      ReplayStartTime: epoch(replay.replayStartTime),
      ReplayEndTime: epoch(replay.replayEndTime),
    });
    const prefixed = (name: string, prefix: unknown) => typeof prefix !== 'string' || name.startsWith(prefix);
    return awsJsonHandler({
      targetPrefix: 'AWSEvents',
      jsonVersion: '1.1',
      ...(access
        ? { access: { check: access, requests: (operation, input) => this.accessRequests(operation, input) } }
        : {}),
      operations: {
        PutEvents: async (input) => {
          const entries = input.Entries;
          if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
            throw new AwsServiceError('ValidationException', 'Entries must hold 1 to 10 events');
          }
          const results = await this.accept(entries as PutEventsEntry[]);
          return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
        },
        ListEventBuses: (input) => {
          const all = buses.filter((bus) => prefixed(this.busName(bus), input.NamePrefix));
          const page = pageOf(
            all,
            input.NextToken,
            input.Limit,
            paging(`buses:${String(input.NamePrefix ?? '')}`),
          );
          return { EventBuses: page.items.map(describeBus), NextToken: page.nextToken };
        },
        DescribeEventBus: (input) => describeBus(this.requireBus(input.Name)),
        ListRules: (input) => {
          const bus = this.requireBus(input.EventBusName);
          const all = this.listedRules().filter(
            (rule) => rule.bus === bus && prefixed(rule.name, input.NamePrefix),
          );
          const page = pageOf(
            all,
            input.NextToken,
            input.Limit,
            paging(`rules:${bus}:${String(input.NamePrefix ?? '')}`),
          );
          return { Rules: page.items.map(describeRule), NextToken: page.nextToken };
        },
        DescribeRule: (input) => ({
          ...describeRule(this.requireRule(requireMember(input, 'Name'), input.EventBusName)),
          CreatedBy: LOCAL_ACCOUNT,
        }),
        ListTargetsByRule: (input) => {
          const rule = this.requireRule(requireMember(input, 'Rule'), input.EventBusName);
          const page = pageOf(
            rule.targets,
            input.NextToken,
            input.Limit,
            paging(`targets:${rule.bus}:${rule.name}`),
          );
          return { Targets: page.items, NextToken: page.nextToken };
        },
        ListArchives: (input) => {
          const all = [...this.archives.archives.values()].filter(
            (archive) =>
              prefixed(archive.name, input.NamePrefix) &&
              (input.EventSourceArn === undefined || input.EventSourceArn === this.busArn(archive.bus)) &&
              (input.State === undefined || input.State === 'ENABLED'),
          );
          const page = pageOf(all, input.NextToken, input.Limit, paging(`archives:${JSON.stringify(input)}`));
          return { Archives: page.items.map(describeArchive), NextToken: page.nextToken };
        },
        DescribeArchive: (input) => {
          const archive = this.requireArchive(requireMember(input, 'ArchiveName'));
          return {
            ArchiveArn: archive.arn,
            ...describeArchive(archive),
            ...(archive.description ? { Description: archive.description } : {}),
            ...(archive.pattern ? { EventPattern: JSON.stringify(archive.pattern) } : {}),
          };
        },
        StartReplay: (input) => {
          const replay = this.startReplay(input);
          return {
            ReplayArn: replayArn(replay.name),
            State: 'STARTING',
            ReplayStartTime: epoch(replay.replayStartTime),
          };
        },
        DescribeReplay: (input) => {
          const replay = this.requireReplay(requireMember(input, 'ReplayName'));
          return {
            ...describeReplay(replay),
            ReplayArn: replayArn(replay.name),
            ...(replay.description ? { Description: replay.description } : {}),
            Destination: replay.destination,
          };
        },
        ListReplays: (input) => {
          const all = [...this.archives.replays.values()]
            .filter(
              (replay) =>
                prefixed(replay.name, input.NamePrefix) &&
                (input.State === undefined || input.State === replay.state) &&
                (input.EventSourceArn === undefined ||
                  input.EventSourceArn === archiveArn(replay.archiveName)),
            )
            .sort((a, b) => b.replayStartTime - a.replayStartTime);
          const page = pageOf(
            all,
            input.NextToken,
            input.Limit,
            paging(`replays:${JSON.stringify({ ...input, NextToken: undefined })}`),
          );
          return { Replays: page.items.map(describeReplay), NextToken: page.nextToken };
        },
        CancelReplay: (input) => {
          const replay = this.requireReplay(requireMember(input, 'ReplayName'));
          if (replay.state !== 'STARTING' && replay.state !== 'RUNNING') {
            throw new AwsServiceError(
              'IllegalStatusException',
              `Replay ${replay.name} is ${replay.state} and cannot be cancelled.`,
            );
          }
          this.archives.saveReplay({ ...replay, state: 'CANCELLING' });
          return { ReplayArn: replayArn(replay.name), State: 'CANCELLING' };
        },
      },
    });
  }
}
