/**
 * The task tokens of `.waitForTaskToken` tasks: made one per entry, each waiting for SendTaskSuccess or
 * SendTaskFailure, answered as Step Functions answers a token it does not know.
 */
import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../aws-json';
import { stateError } from './definition';

/** Every token local mode makes starts so: anything else is not a token at all (InvalidToken). */
const TOKEN_PREFIX = 'local1.';

interface PendingToken {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

/** The tokens tasks wait on, by token. */
export class TaskTokens {
  private readonly pending = new Map<string, PendingToken>();

  /** A fresh token. */
  make(): string {
    return `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  }

  /** Resolves with the callback's output, rejects with its error; registered before the task's function runs. */
  wait(token: string, executionArn: string): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(token, { executionArn, resolve, reject });
    });
  }

  /** Forgets a token (its task timed out, or its function failed before the task waited). */
  delete(token: string): void {
    this.pending.delete(token);
  }

  /** Rejects every token of an execution that closed. */
  rejectAll(executionArn: string): void {
    for (const [token, pending] of this.pending) {
      if (pending.executionArn === executionArn) {
        this.pending.delete(token);
        pending.reject(stateError('States.Aborted', 'execution closed'));
      }
    }
  }

  /** SendTaskHeartbeat's check: a well-formed token that nobody waits for is TaskTimedOut. */
  heartbeat(token: string): void {
    if (!token.startsWith(TOKEN_PREFIX)) throw new AwsServiceError('InvalidToken', 'Invalid Token');
    // Heartbeats are not emulated; a live token is accepted, a dead one refused as on AWS.
    if (!this.pending.has(token)) throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
  }

  /** SendTaskSuccess: the output must be JSON. */
  succeed(token: unknown, output: unknown): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(output));
    } catch {
      throw new AwsServiceError('InvalidOutput', 'Invalid Output: not JSON');
    }
    this.take(token).resolve(parsed);
  }

  /** SendTaskFailure: the task fails with `error` (States.TaskFailed when none) and `cause`. */
  fail(token: unknown, error: unknown, cause: unknown): void {
    this.take(token).reject(stateError(String(error ?? 'States.TaskFailed'), String(cause ?? '')));
  }

  private take(token: unknown): PendingToken {
    if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX)) {
      throw new AwsServiceError('InvalidToken', 'Invalid Token');
    }
    const pending = this.pending.get(token);
    // A well-formed token nobody waits for belonged to a task that timed out or an execution that closed
    // (including one of a previous process): AWS answers TaskTimedOut for those.
    if (!pending) throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
    this.pending.delete(token);
    return pending;
  }
}
