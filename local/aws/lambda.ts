import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { runAsFunction } from '../iam/caller';
import {
  functionNameFromArn,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalFunction,
  localFunctionArn,
} from './template/types';

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
 * (after local mode has set the environment, because handlers build their clients at import). Each import and
 * invocation runs as its function ({@link runAsFunction}): its calls to the stand-ins are checked against its role.
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
      // As the function: a call its init phase makes (at import) is made with its role, as on Lambda.
      loaded = runAsFunction(name, () => import(file)).then((module: { handler?: Handler }) => {
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
        // Every AWS call the handler makes carries its name, so the stand-ins enforce its role (caller.ts).
        runAsFunction(name, () => handler(JSON.parse(JSON.stringify(payload ?? null)), context)),
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

/**
 * Lambda `Invoke` (RequestResponse) for local mode's clients — the ops CLI's `resend-welcome` invokes notify as it
 * would the deployed function: `POST /2015-03-31/functions/<name or ARN>/invocations`. A function error answers 200
 * with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage}`, as Lambda does.
 */
export function lambdaServiceHandler(invoke: (name: string, payload: unknown) => Promise<unknown>) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(
      new URL(req.url ?? '/', 'http://lambda').pathname,
    );
    const name = match ? functionNameFromArn(decodeURIComponent(match[1] ?? '')) : undefined;
    if (req.method !== 'POST' || !name) {
      send(
        404,
        { message: `no such route: ${req.method} ${req.url}` },
        {
          'x-amzn-errortype': 'ResourceNotFoundException',
        },
      );
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let payload: unknown = null;
    try {
      payload = raw === '' ? null : JSON.parse(raw);
    } catch {
      send(
        400,
        { message: 'Could not parse request body into json' },
        {
          'x-amzn-errortype': 'InvalidRequestContentException',
        },
      );
      return;
    }
    try {
      send(200, await invoke(name, payload));
    } catch (error) {
      if (error instanceof LambdaFunctionError && error.errorType === 'ResourceNotFoundException') {
        send(404, { message: error.errorMessage }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
        return;
      }
      const failure =
        error instanceof LambdaFunctionError ? error : new LambdaFunctionError('Error', String(error));
      send(
        200,
        { errorType: failure.errorType, errorMessage: failure.errorMessage },
        {
          'x-amz-function-error': 'Unhandled',
        },
      );
    }
  };
}
