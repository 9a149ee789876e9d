/** One run of an execution on the engine, and the order its task events wait for. */
import type { ExecutionRecord } from './execution-store';

/**
 * One run of an execution on the engine: its start, or one redrive. `live` until the execution closes; nothing a
 * run that is no longer live does (a Lambda still answering, the engine unwinding an abort) reaches the history.
 */
export interface Run {
  readonly record: ExecutionRecord;
  live: boolean;
  abort: () => void;
  done: Promise<void>;
  /**
   * Entries and retries of each state the history has recorded, and invocations of each task: a task's n-th
   * invocation records its events once the n-th entry is recorded, so its events follow its state's in the history.
   */
  readonly entries: Map<string, number>;
  readonly invocations: Map<string, number>;
  readonly waiters: Set<{ state: string; count: number; resolve: () => void }>;
}

/** A live run of `record`, nothing entered yet. */
export function newRun(record: ExecutionRecord): Run {
  return {
    record,
    live: true,
    abort: () => undefined,
    done: Promise.resolve(),
    entries: new Map(),
    invocations: new Map(),
    waiters: new Set(),
  };
}

/** The history recorded an entry (or retry) of `state`: the task invocations waiting for it go on. */
export function entered(run: Run, state: string): void {
  const count = (run.entries.get(state) ?? 0) + 1;
  run.entries.set(state, count);
  for (const waiter of run.waiters) {
    if (waiter.state === state && waiter.count <= count) {
      run.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

/** Resolves once the history has the `count`-th entry (or retry) of `state`, or the execution has closed. */
export function untilEntered(run: Run, state: string, count: number): Promise<void> {
  if (!run.live || (run.entries.get(state) ?? 0) >= count) return Promise.resolve();
  return new Promise((resolve) => run.waiters.add({ state, count, resolve }));
}

/** The execution closed: nothing this run does reaches the history any more, and nothing waits on it. */
export function endRun(run: Run): void {
  run.live = false;
  for (const waiter of run.waiters) waiter.resolve();
  run.waiters.clear();
}
