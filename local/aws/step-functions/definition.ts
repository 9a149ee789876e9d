/**
 * The state machine's definition as the engine runs it here: each Task bound to its local function, every Wait and
 * Retry interval capped, and a `.waitForTaskToken` task rewritten so local mode can hand out its token.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { functionNameFromArn } from '../template/types';

/** Marks where `$$.Task.Token` goes: the engine has no task token of its own, local mode makes one per entry. */
const TOKEN_MARKER = '__LOCAL_TASK_TOKEN__';
const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;

/** How a Task state runs locally. */
export interface TaskBinding {
  functionName: string;
  /** `arn:aws:states:::lambda:invoke…` wraps the result in `{ Payload, StatusCode }`; a bare function ARN does not. */
  wrapped: boolean;
  callback: boolean;
  /** Callback tasks only: seconds before `States.Timeout`, already capped. */
  timeoutSeconds: number;
  /** TimeoutSeconds and HeartbeatSeconds as the template declares them, for the scheduled event. */
  declaredTimeoutSeconds?: number;
  declaredHeartbeatSeconds?: number;
}

/** A state of the definition, as the rewrite reads it. */
export type AslState = Record<string, unknown> & { Type: string };

/** The rewritten definition, with what it bound: each Task state's function, each Wait state's capped time (ms). */
export interface RewrittenDefinition {
  readonly definition: StateMachineDefinition;
  readonly bindings: ReadonlyMap<string, TaskBinding>;
  readonly waitOverrides: Record<string, number>;
}

/** Marks each `…$: $$.Task.Token` parameter, to be filled with the token local mode makes for the entry. */
function replaceTokenPaths(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(replaceTokenPaths);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('.$') && inner === '$$.Task.Token') out[key.slice(0, -2)] = TOKEN_MARKER;
    else out[key] = replaceTokenPaths(inner);
  }
  return out;
}

/** The parameters with the task's token where `$$.Task.Token` was. */
export function fillToken(value: unknown, token: string): unknown {
  if (value === TOKEN_MARKER) return token;
  if (Array.isArray(value)) return value.map((item) => fillToken(item, token));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillToken(v, token)]));
}

/** An error the engine's Retry/Catch matches by `name`; `message` becomes the Cause, as on AWS. */
export function stateError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/**
 * Copies the definition with every Wait and Retry interval capped at `maxWaitSeconds` and every Task bound to its
 * function: the engine runs the copy, DescribeStateMachine shows the original.
 */
export function rewriteDefinition(
  definition: StateMachineDefinition,
  maxWaitSeconds: number,
): RewrittenDefinition {
  const cap = maxWaitSeconds;
  const bindings = new Map<string, TaskBinding>();
  const waitOverrides: Record<string, number> = {};
  const visit = (machine: { States: Record<string, unknown> }) => {
    for (const [name, raw] of Object.entries(machine.States)) {
      const state = raw as AslState;
      if (Array.isArray(state.Retry)) {
        state.Retry = (state.Retry as Array<Record<string, unknown>>).map((retrier) => ({
          ...retrier,
          MaxDelaySeconds: Math.min(Number(retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY), cap),
        }));
      }
      if (state.Type === 'Wait') {
        const seconds = typeof state.Seconds === 'number' ? state.Seconds : cap;
        waitOverrides[name] = Math.round(Math.min(seconds, cap) * 1000);
      }
      if (state.Type === 'Task') bindings.set(name, bindTask(name, state, maxWaitSeconds));
      for (const branch of (state.Branches as Array<{ States: Record<string, unknown> }> | undefined) ?? []) {
        visit(branch);
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States: Record<string, unknown> }
        | undefined;
      if (processor) visit(processor);
    }
  };
  const copy = JSON.parse(JSON.stringify(definition)) as StateMachineDefinition;
  visit(copy as unknown as { States: Record<string, unknown> });
  return { definition: copy, bindings, waitOverrides };
}

/**
 * A Task state bound to its local function; a `.waitForTaskToken` one is rewritten for the callback emulation
 * (the token's path marked, the engine's own timeout pushed out of the way).
 */
function bindTask(name: string, state: AslState, maxWaitSeconds: number): TaskBinding {
  const resource = String(state.Resource);
  const invoke = LAMBDA_INVOKE.exec(resource);
  let functionName: string | undefined;
  if (invoke) {
    const params = (state.Parameters ?? {}) as Record<string, unknown>;
    functionName =
      typeof params.FunctionName === 'string' ? functionNameFromArn(params.FunctionName) : undefined;
  } else {
    functionName = functionNameFromArn(resource);
  }
  if (!functionName) {
    throw new Error(
      `state "${name}": resource ${resource} is not a Lambda function of the template (unsupported locally)`,
    );
  }
  const callback = Boolean(invoke?.[1]);
  const declared = {
    ...(typeof state.TimeoutSeconds === 'number' ? { declaredTimeoutSeconds: state.TimeoutSeconds } : {}),
    ...(typeof state.HeartbeatSeconds === 'number'
      ? { declaredHeartbeatSeconds: state.HeartbeatSeconds }
      : {}),
  };
  let timeoutSeconds = maxWaitSeconds;
  if (callback) {
    if (typeof state.TimeoutSeconds === 'number')
      timeoutSeconds = Math.min(state.TimeoutSeconds, timeoutSeconds);
    state.Parameters = replaceTokenPaths(state.Parameters);
    // The engine races every Task against its TimeoutSeconds (60 s by default); the callback emulation
    // keeps its own clock, so give the engine's a margin it never reaches first.
    state.TimeoutSeconds = Math.ceil(timeoutSeconds) + 3600;
    delete state.TimeoutSecondsPath;
    delete state.HeartbeatSeconds;
  }
  return {
    functionName,
    wrapped: Boolean(invoke),
    callback,
    timeoutSeconds,
    ...declared,
  };
}
