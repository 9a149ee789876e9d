/**
 * The plumbing under the soak's child processes: a child whose every byte goes to a log file (the last few KB kept
 * for error messages), waiting for its ready line, and ending it — SIGTERM with a SIGKILL after a timeout. The two
 * children themselves: sandbox-process.ts and local-mode-process.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** How long a SIGTERM may take before the process is SIGKILLed (and the stop reported as not clean). */
const STOP_TIMEOUT_MS = 30_000;

/** Sends `signal`, and SIGKILL if the process has not exited within {@link STOP_TIMEOUT_MS}. */
export async function endProcess(child: LoggedChild, signal: NodeJS.Signals): Promise<Exit> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.exited;
  child.process.kill(signal);
  if (signal === 'SIGKILL') return child.exited;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
  });
  const exit = await Promise.race([child.exited, late]);
  clearTimeout(timer);
  if (exit !== 'late') return exit;
  child.process.kill('SIGKILL');
  await child.exited;
  return { code: null, signal: 'SIGKILL' };
}

/** A child process whose output is appended to a file; the last few KB are kept for error messages. */
export class LoggedChild {
  readonly exited: Promise<Exit>;
  private tail = '';
  private pending = '';

  constructor(
    readonly process: ChildProcess,
    log: WriteStream,
    onLine: (line: string) => void,
  ) {
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
    const take = (chunk: Buffer, lines: boolean) => {
      const text = chunk.toString('utf8');
      log.write(text);
      this.tail = (this.tail + text).slice(-4_000);
      if (!lines) return;
      this.pending += text;
      const parts = this.pending.split('\n');
      this.pending = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    };
    process.stdout?.on('data', (chunk: Buffer) => take(chunk, true));
    process.stderr?.on('data', (chunk: Buffer) => take(chunk, false));
  }

  get lastOutput(): string {
    return this.tail;
  }

  /** Resolves with the first line `match` accepts, or rejects when the child exits or `timeoutMs` passes. */
  static async waitForLine<T>(
    spawnChild: (onLine: (line: string) => void) => LoggedChild,
    match: (line: string) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<{ child: LoggedChild; value: T }> {
    let found: (value: T) => void = () => undefined;
    const value = new Promise<T>((resolve) => {
      found = resolve;
    });
    const child = spawnChild((line) => {
      const matched = match(line);
      if (matched !== undefined) found(matched);
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        value,
        child.exited.then(({ code, signal }) => {
          throw new Error(`${what} exited (${code ?? signal}) before it was ready:\n${child.lastOutput}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`${what} was not ready within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return { child, value: result };
    } catch (error) {
      child.process.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function openLog(file: string): WriteStream {
  return createWriteStream(file, { flags: 'a' });
}
