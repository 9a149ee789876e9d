import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalFunction, localFunctionArn } from './template';

/** The repository root: handlers are loaded from `functions/<name>/handler.ts` under it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What a Lambda invocation that threw looks like to its caller: `errorType` is the error's `name` (the
 * contract with the state machine's Retry/Catch), `errorMessage` its message. The stack is not carried:
 * Step Functions would show it in the console, local mode only needs the name.
 */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    super(errorMessage);
    this.name = errorType;
  }
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Runs the unmodified handlers in this process, one module per function, imported once on first use
 * (after local mode has set the environment, because handlers build their clients at import).
 * The result goes through JSON as it would between Lambda and its caller.
 */
export class LocalLambda {
  private readonly modules = new Map<string, Promise<Handler>>();

  constructor(private readonly functions: ReadonlyMap<string, LocalFunction>) {}

  /** True when the template declares the function. */
  has(name: string): boolean {
    return this.functions.has(name);
  }

  private load(name: string): Promise<Handler> {
    let loaded = this.modules.get(name);
    if (!loaded) {
      const file = pathToFileURL(resolve(REPO_ROOT, 'functions', name, 'handler.ts')).href;
      loaded = import(file).then((module: { handler?: Handler }) => {
        if (typeof module.handler !== 'function')
          throw new Error(`functions/${name}/handler.ts exports no handler`);
        return module.handler;
      });
      this.modules.set(name, loaded);
    }
    return loaded;
  }

  /** Imports every handler now, so a broken one fails the start instead of the first order. */
  async preload(): Promise<void> {
    await Promise.all([...this.functions.keys()].map((name) => this.load(name)));
  }

  /**
   * Invokes a function synchronously (RequestResponse) and resolves with its JSON result, or rejects
   * with {@link LambdaFunctionError}. The function's configured timeout applies (`Sandbox.Timedout`).
   */
  async invoke(name: string, payload: unknown): Promise<unknown> {
    const fn = this.functions.get(name);
    if (!fn)
      throw new LambdaFunctionError('ResourceNotFoundException', `function ${name} is not in the template`);
    const handler = await this.load(name);
    const timeoutMs = fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: localFunctionArn(name),
      memoryLimitInMB: '256',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `local/${LOCAL_REGION}/${LOCAL_ACCOUNT}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new LambdaFunctionError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds} seconds`),
          ),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      const result = await Promise.race([
        handler(JSON.parse(JSON.stringify(payload ?? null)), context),
        timeout,
      ]);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw error;
      const err = error instanceof Error ? error : new Error(String(error));
      throw new LambdaFunctionError(err.name || 'Error', err.message);
    } finally {
      clearTimeout(timer);
    }
  }
}
