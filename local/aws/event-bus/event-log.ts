/**
 * `events.jsonl`, the bus's durable log: every accepted event on disk (fsynced) before PutEvents answers, each finished
 * delivery after it, compacted to what is still to deliver.
 */
import {
  closeSync,
  existsSync,
  fsync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { BusEvent, BusName } from './bus';

/**
 * One line of `events.jsonl`: an event accepted by PutEvents (written with fsync before PutEvents answers),
 * or one of its deliveries finished (delivered, or given up on after the retries, as Lambda gives up).
 */
export type LogLine =
  | { accepted: { bus: BusName; event: BusEvent; rules?: readonly string[] } }
  | { delivered: string; target: string };

/** An accepted event with deliveries still to finish. */
export interface Pending {
  readonly bus: BusName;
  readonly event: BusEvent;
  /** A replayed event goes to these rules only (the replay's FilterArns); any other to every matching rule. */
  readonly rules?: readonly string[];
  /** Keys of its deliveries that finished. */
  readonly finished: Set<string>;
}

/** Past this much log written since the last compaction, finished entries are dropped from the file. */
const COMPACT_AFTER_BYTES = 4 * 1024 * 1024;

/** The log file of one bus. */
export class EventLog {
  private fd: number | undefined;
  /** Bytes in the file, and how many of them the last compaction kept. */
  private size = 0;
  private compactedSize = 0;
  /** The fsync in flight, if any (off the main thread), and who waits for the one after it. */
  private syncing: Promise<void> | undefined;
  private syncWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  constructor(private readonly file: string) {}

  /** Closed (or never opened by a compaction): nothing more is written. */
  get closed(): boolean {
    return this.fd === undefined;
  }

  /** Enough written since the last compaction, and no fsync of the current file in flight (compaction closes it). */
  get wantsCompaction(): boolean {
    return !this.syncing && this.size > this.compactedSize + COMPACT_AFTER_BYTES;
  }

  /** The accepted events on file, each with the deliveries that finished (a torn last line is skipped). */
  read(): Map<string, Pending> {
    const pending = new Map<string, Pending>();
    if (!existsSync(this.file)) return pending;
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
        pending.set(event.id, { bus, event, ...(rules ? { rules } : {}), finished: new Set() });
      } else {
        pending.get(line.delivered)?.finished.add(line.target);
      }
    }
    return pending;
  }

  /**
   * Rewrites the file with only the events still to deliver (and their finished deliveries), through a
   * temporary file renamed over it, so a crash leaves either the old file or the new one.
   */
  compact(entries: Iterable<Pending>): void {
    const lines: LogLine[] = [];
    for (const { bus, event, rules, finished } of entries) {
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

  /** Appends lines; `durable` ones (acceptances) fail on a closed log, the others are dropped. */
  append(lines: readonly LogLine[], durable: boolean): void {
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
   * delivery), so only an acceptance waits.
   */
  durable(): Promise<void> {
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

  /** Closes the file; an fsync already asked for fails, as later appends do. */
  async close(): Promise<void> {
    // An fsync in flight finishes on the file it began on before that file is closed.
    await this.syncing;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    for (const waiter of this.syncWaiters.splice(0))
      waiter.reject(new Error('the local event bus is closed'));
  }
}
