/**
 * `<dataDir>/executions.jsonl`: local mode's Step Functions executions and their histories, on disk as they happen.
 *
 * Two kinds of line, appended:
 *   `{"execution":{…}}`            an execution record (at start, at each redrive, at its end; the last one wins)
 *   `{"arn":"…","event":{…}}`       one event of that execution's history, as GetExecutionHistory answers it
 *
 * Events are written as they happen, so the history of an execution a kill interrupted is there up to the kill
 * (its redrive needs the state it stopped in, and that state's input). Only records are kept in memory; an event is
 * read back from its byte offset when asked for, so a long-lived data dir costs memory per execution, not per event.
 *
 * A file written by an earlier local mode (a record per line, its closing line carrying a `timeline` of engine steps
 * without inputs or outputs) is migrated once at start: each timeline becomes the AWS history events it stands for.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { ExecutionStatus } from '../../../shared/workflow/ports';

/** One execution, as DescribeExecution reports it and as it is persisted under the data dir. */
export interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** The order key of the input (`$.order.orderKey`), for progress lines and lookups. */
  orderKey?: string;
  /** How many times RedriveExecution restarted it, and when it last did (epoch ms). */
  redriveCount?: number;
  redriveDate?: number;
  /**
   * Recorded by a local mode that kept no step inputs: nothing to redrive from. Step Functions says the same of an
   * execution started before redrive existed.
   */
  startedBeforeRedrive?: boolean;
}

/** One event of an execution's history as GetExecutionHistory returns it, its `timestamp` in epoch milliseconds. */
export type ExecutionHistoryEvent = Omit<HistoryEvent, 'timestamp' | 'type' | 'id' | 'previousEventId'> & {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: HistoryEventType;
};

/** A history event before the store numbers it. */
export type NewHistoryEvent = Omit<ExecutionHistoryEvent, 'id' | 'previousEventId'>;

/** An engine step of a file written before histories were kept (see the module comment). */
interface LegacyTimelineEvent {
  timestamp: number;
  type: string;
  state?: string;
  stateType?: string;
  error?: string;
  cause?: string;
}

/** What the migration needs to know of a state to name its Lambda events as Step Functions does. */
export type LegacyTaskKind = (state: string) => 'integration' | 'function' | undefined;

const EVENT_LINE_PREFIX = Buffer.from('{"arn":"');
const NEWLINE = 0x0a;

/** Where each event of one execution starts in the file, and how long its line is. */
interface EventOffsets {
  starts: number[];
  lengths: number[];
}

export class ExecutionStore {
  readonly records = new Map<string, ExecutionRecord>();
  private readonly offsets = new Map<string, EventOffsets>();
  private readonly file: string;
  private fd: number;

  /** Opens (or creates) `<dataDir>/executions.jsonl`; `legacyTaskKind` names the tasks of a file to migrate. */
  constructor(dataDir: string, legacyTaskKind: LegacyTaskKind = () => undefined) {
    this.file = join(dataDir, 'executions.jsonl');
    const migrated = existsSync(this.file) ? this.load(legacyTaskKind) : undefined;
    if (migrated) this.rewrite(migrated);
    this.fd = openSync(this.file, 'a+');
  }

  /**
   * Reads every line: records parsed, event lines only located (their ARN is read from the prefix the store writes,
   * without parsing the event). A line a kill cut short is cut off the file, so the next append starts a line of its
   * own. Returns the lines to rewrite the file with when it held lines of the earlier format.
   */
  private load(legacyTaskKind: LegacyTaskKind): Array<Record<string, unknown>> | undefined {
    const data = readFileSync(this.file);
    const complete = data.lastIndexOf(NEWLINE) + 1;
    if (complete < data.length) {
      const fd = openSync(this.file, 'r+');
      try {
        ftruncateSync(fd, complete);
      } finally {
        closeSync(fd);
      }
    }
    const legacy = new Map<string, { record: ExecutionRecord; timeline?: LegacyTimelineEvent[] }>();
    let start = 0;
    while (start < complete) {
      const end = data.indexOf(NEWLINE, start);
      const length = end - start;
      if (
        length > EVENT_LINE_PREFIX.length &&
        data.subarray(start, start + EVENT_LINE_PREFIX.length).equals(EVENT_LINE_PREFIX)
      ) {
        const arnEnd = data.indexOf(0x22, start + EVENT_LINE_PREFIX.length);
        const arn = data.toString('utf8', start + EVENT_LINE_PREFIX.length, arnEnd);
        this.locate(arn, start, length);
      } else if (length > 0) {
        let line: { execution: ExecutionRecord } | (ExecutionRecord & { timeline?: LegacyTimelineEvent[] });
        try {
          line = JSON.parse(data.toString('utf8', start, end));
        } catch {
          // An earlier local mode appended after a line a kill had cut short: both are lost, as they were then.
          start = end + 1;
          continue;
        }
        if ('execution' in line) {
          this.records.set(line.execution.executionArn, line.execution);
        } else {
          const { timeline, ...record } = line;
          const known = legacy.get(record.executionArn);
          legacy.set(record.executionArn, { record, timeline: timeline ?? known?.timeline });
        }
      }
      start = end + 1;
    }
    if (legacy.size === 0) return undefined;
    return this.migrate(data.subarray(0, complete), legacy, legacyTaskKind);
  }

  private locate(arn: string, start: number, length: number): void {
    let offsets = this.offsets.get(arn);
    if (!offsets) {
      offsets = { starts: [], lengths: [] };
      this.offsets.set(arn, offsets);
    }
    offsets.starts.push(start);
    offsets.lengths.push(length);
  }

  /**
   * The whole file in the current format: every execution of the earlier format as a record and the history events
   * its timeline stands for (no inputs or outputs: that format kept none), then the lines already current.
   */
  private migrate(
    data: Buffer,
    legacy: Map<string, { record: ExecutionRecord; timeline?: LegacyTimelineEvent[] }>,
    taskKind: LegacyTaskKind,
  ): Array<Record<string, unknown>> {
    const lines: Array<Record<string, unknown>> = [];
    for (const { record, timeline } of legacy.values()) {
      const migrated: ExecutionRecord = { ...record, startedBeforeRedrive: true };
      lines.push({ execution: migrated });
      const events = legacyHistory(migrated, timeline ?? [], taskKind);
      events.forEach((event, index) => {
        lines.push({ arn: record.executionArn, event: { ...event, id: index + 1, previousEventId: index } });
      });
      if (!this.records.has(record.executionArn)) this.records.set(record.executionArn, migrated);
    }
    for (const [arn, offsets] of this.offsets) {
      offsets.starts.forEach((start, i) => {
        const text = data.toString('utf8', start, start + (offsets.lengths[i] ?? 0));
        lines.push({ arn, event: (JSON.parse(text) as { event: unknown }).event });
      });
    }
    for (const record of this.records.values()) {
      if (!legacy.has(record.executionArn)) lines.push({ execution: record });
    }
    return lines;
  }

  /** Replaces the file with `lines` through a temporary file renamed over it, and locates the events again. */
  private rewrite(lines: Array<Record<string, unknown>>): void {
    this.offsets.clear();
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, 'w');
    let position = 0;
    try {
      for (const line of lines) {
        const text = `${JSON.stringify(line)}\n`;
        if ('arn' in line) this.locate(String(line.arn), position, Buffer.byteLength(text) - 1);
        position += writeSync(fd, text);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
  }

  /**
   * Appends a line and returns where it starts. Read from the file's size after the write, not counted: another store
   * on the same file in this process (a test's second engine, as a restart sees it) may have appended meanwhile.
   */
  private append(text: string): number {
    const written = writeSync(this.fd, text);
    return fstatSync(this.fd).size - written;
  }

  /**
   * Writes the record as it is now. Synchronous on purpose: StartExecution must not answer before its record is on
   * disk, or a kill right after it would leave an order pointing at an execution nobody knows.
   */
  putRecord(record: ExecutionRecord): void {
    this.records.set(record.executionArn, record);
    this.append(`${JSON.stringify({ execution: record })}\n`);
  }

  /** Appends the next event of an execution's history, numbered after the last, and returns it numbered. */
  appendEvent(arn: string, event: NewHistoryEvent): ExecutionHistoryEvent {
    const id = this.eventCount(arn) + 1;
    // In the order Step Functions answers them: time, type, ids, then the details.
    const { timestamp, type, ...details } = event;
    const numbered: ExecutionHistoryEvent = { timestamp, type, id, previousEventId: id - 1, ...details };
    const text = JSON.stringify({ arn, event: numbered });
    const at = this.append(`${text}\n`);
    this.locate(arn, at, Buffer.byteLength(text));
    return numbered;
  }

  eventCount(arn: string): number {
    return this.offsets.get(arn)?.starts.length ?? 0;
  }

  /** The history of an execution, oldest first, read back from the file. */
  events(arn: string): ExecutionHistoryEvent[] {
    const offsets = this.offsets.get(arn);
    if (!offsets) return [];
    return offsets.starts.map((start, i) => {
      const length = offsets.lengths[i] ?? 0;
      const buffer = Buffer.allocUnsafe(length);
      readSync(this.fd, buffer, 0, length, start);
      return (JSON.parse(buffer.toString('utf8')) as { event: ExecutionHistoryEvent }).event;
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The AWS history an engine timeline of the earlier format stands for, with the record's input and end. */
function legacyHistory(
  record: ExecutionRecord,
  timeline: readonly LegacyTimelineEvent[],
  taskKind: LegacyTaskKind,
): NewHistoryEvent[] {
  const events: NewHistoryEvent[] = [];
  for (const step of timeline) {
    const at = step.timestamp;
    const name = step.state ?? '';
    switch (step.type) {
      case 'ExecutionStarted':
        events.push({
          timestamp: at,
          type: 'ExecutionStarted',
          executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false } },
        });
        break;
      case 'StateEntered':
        events.push({
          timestamp: at,
          type: `${step.stateType ?? 'Task'}StateEntered` as HistoryEventType,
          stateEnteredEventDetails: { name },
        });
        break;
      case 'StateExited':
        events.push({
          timestamp: at,
          type: `${step.stateType ?? 'Task'}StateExited` as HistoryEventType,
          stateExitedEventDetails: { name },
        });
        break;
      case 'StateFailed': {
        const failure = { error: step.error ?? 'Error', ...(step.cause ? { cause: step.cause } : {}) };
        events.push(
          taskKind(name) === 'function'
            ? { timestamp: at, type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure }
            : {
                timestamp: at,
                type: 'TaskFailed',
                taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', ...failure },
              },
        );
        break;
      }
      case 'SUCCEEDED':
        events.push({
          timestamp: at,
          type: 'ExecutionSucceeded',
          executionSucceededEventDetails: {
            ...(record.output !== undefined ? { output: record.output } : {}),
            outputDetails: { truncated: false },
          },
        });
        break;
      case 'FAILED':
        events.push({
          timestamp: at,
          type: 'ExecutionFailed',
          executionFailedEventDetails: {
            ...(step.error ? { error: step.error } : {}),
            ...(step.cause ? { cause: step.cause } : {}),
          },
        });
        break;
      case 'ABORTED':
        events.push({
          timestamp: at,
          type: 'ExecutionAborted',
          executionAbortedEventDetails: {
            ...(step.error ? { error: step.error } : {}),
            ...(step.cause ? { cause: step.cause } : {}),
          },
        });
        break;
      case 'TIMED_OUT':
        events.push({
          timestamp: at,
          type: 'ExecutionTimedOut',
          executionTimedOutEventDetails: { error: step.error ?? 'States.Timeout' },
        });
        break;
      default:
        // StateRetried and StateCaught: Step Functions records no event of their own for either.
        break;
    }
  }
  if (events[0]?.type !== 'ExecutionStarted') {
    events.unshift({
      timestamp: record.startDate,
      type: 'ExecutionStarted',
      executionStartedEventDetails: { input: record.input, inputDetails: { truncated: false } },
    });
  }
  return events;
}
