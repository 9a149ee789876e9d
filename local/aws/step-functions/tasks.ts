/**
 * A Task state's work: its function invoked (with a task token for a callback task, then the callback awaited) and
 * each step recorded in the execution's history as Step Functions records it.
 */
import { LOCAL_REGION, localFunctionArn } from '../template/types';
import { fillToken, stateError, type TaskBinding } from './definition';
import type { NewHistoryEvent } from './execution-store';
import type { Run } from './run';
import type { TaskTokens } from './task-tokens';
import type { Invoker } from './types';

const json = (value: unknown) => JSON.stringify(value ?? null);

/** What a task needs of the engine. */
export interface TaskContext {
  readonly invoke: Invoker;
  readonly tokens: TaskTokens;
  /** Appends to the run's history, unless its execution has closed since. */
  appendFor(run: Run, event: Omit<NewHistoryEvent, 'timestamp'> & { timestamp?: number }): void;
  /** Resolves once the history has the `count`-th entry (or retry) of `state`, or the execution has closed. */
  untilEntered(run: Run, state: string, count: number): Promise<void>;
}

/** Runs the Task states of the engine's executions. */
export class TaskRunner {
  constructor(private readonly deps: TaskContext) {}

  /**
   * A Task state's work, recorded as Step Functions records it: a bare function ARN as `LambdaFunctionScheduled`,
   * `…Started`, `…Succeeded`/`…Failed`; the optimized integration (`arn:aws:states:::lambda:invoke`) as
   * `TaskScheduled` (its parameters), `TaskStarted`, `TaskSucceeded`/`TaskFailed`, with `TaskSubmitted` once a
   * `.waitForTaskToken` invocation has returned and `TaskTimedOut` when no callback came in time.
   */
  async run(run: Run, state: string, binding: TaskBinding, input: unknown): Promise<unknown> {
    const invocation = (run.invocations.get(state) ?? 0) + 1;
    run.invocations.set(state, invocation);
    await this.deps.untilEntered(run, state, invocation);
    if (!run.live) throw stateError('States.Aborted', 'execution closed');
    const executionArn = run.record.executionArn;
    const resource = binding.wrapped
      ? binding.callback
        ? 'invoke.waitForTaskToken'
        : 'invoke'
      : localFunctionArn(binding.functionName);
    const task = { resourceType: 'lambda', resource };
    const timeouts = {
      ...(binding.declaredTimeoutSeconds !== undefined
        ? { timeoutInSeconds: binding.declaredTimeoutSeconds }
        : {}),
      ...(binding.declaredHeartbeatSeconds !== undefined
        ? { heartbeatInSeconds: binding.declaredHeartbeatSeconds }
        : {}),
    };
    const params = (input ?? {}) as Record<string, unknown>;
    const token = binding.callback ? this.deps.tokens.make() : undefined;
    if (binding.wrapped) {
      this.deps.appendFor(run, {
        type: 'TaskScheduled',
        taskScheduledEventDetails: {
          ...task,
          region: LOCAL_REGION,
          parameters: json(token ? fillToken(params, token) : params),
          ...timeouts,
        },
      });
      this.deps.appendFor(run, { type: 'TaskStarted', taskStartedEventDetails: task });
    } else {
      this.deps.appendFor(run, {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: json(input),
          inputDetails: { truncated: false },
          ...(binding.declaredTimeoutSeconds !== undefined
            ? { timeoutInSeconds: binding.declaredTimeoutSeconds }
            : {}),
        },
      });
      this.deps.appendFor(run, { type: 'LambdaFunctionStarted' });
    }
    const succeeded = (output: unknown) =>
      this.deps.appendFor(
        run,
        binding.wrapped
          ? {
              type: 'TaskSucceeded',
              taskSucceededEventDetails: {
                ...task,
                output: json(output),
                outputDetails: { truncated: false },
              },
            }
          : {
              type: 'LambdaFunctionSucceeded',
              lambdaFunctionSucceededEventDetails: {
                output: json(output),
                outputDetails: { truncated: false },
              },
            },
      );
    try {
      const payload = binding.wrapped ? params.Payload : input;
      if (!token) {
        const result = await this.invokeAsStep(binding.functionName, payload);
        const output = binding.wrapped
          ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }
          : result;
        succeeded(output);
        return output;
      }
      const output = await this.callback(run, executionArn, binding, token, payload, task);
      succeeded(output);
      return output;
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const failure = { error: err.name, cause: err.message };
      if (binding.callback && err.name === 'States.Timeout') {
        this.deps.appendFor(run, { type: 'TaskTimedOut', taskTimedOutEventDetails: { ...task, ...failure } });
      } else if (binding.wrapped) {
        this.deps.appendFor(run, { type: 'TaskFailed', taskFailedEventDetails: { ...task, ...failure } });
      } else {
        this.deps.appendFor(run, { type: 'LambdaFunctionFailed', lambdaFunctionFailedEventDetails: failure });
      }
      throw err;
    }
  }

  /** A `.waitForTaskToken` task: the function is invoked with the token, then the task waits for its callback. */
  private async callback(
    run: Run,
    executionArn: string,
    binding: TaskBinding,
    token: string,
    payload: unknown,
    task: { resourceType: string; resource: string },
  ): Promise<unknown> {
    const outcome = this.deps.tokens.wait(token, executionArn);
    // Registered before the invocation: the handler may resume the task itself (order already paid).
    outcome.catch(() => undefined);
    let submitted: unknown;
    try {
      submitted = await this.invokeAsStep(binding.functionName, fillToken(payload, token));
    } catch (error) {
      this.deps.tokens.delete(token);
      throw error;
    }
    this.deps.appendFor(run, {
      type: 'TaskSubmitted',
      taskSubmittedEventDetails: {
        ...task,
        output: json({ ExecutedVersion: '$LATEST', Payload: submitted, StatusCode: 200 }),
        outputDetails: { truncated: false },
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.deps.tokens.delete(token);
        reject(stateError('States.Timeout', `no task callback within ${binding.timeoutSeconds} s`));
      }, binding.timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([outcome, timeout]);
    } finally {
      clearTimeout(timer);
      this.deps.tokens.delete(token);
    }
  }

  /** Invokes a task's function; a failure becomes the state error Step Functions raises (its Cause the Lambda error's JSON). */
  private async invokeAsStep(functionName: string, payload: unknown): Promise<unknown> {
    try {
      return await this.deps.invoke(functionName, payload);
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      // On AWS the Cause of a Lambda error is this JSON; record-outcome and operators read it the same way.
      throw stateError(err.name, JSON.stringify({ errorType: err.name, errorMessage: err.message }));
    }
  }
}
