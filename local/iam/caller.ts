/**
 * Which function makes a call. Every handler runs in this one process, so a stand-in cannot tell callers apart by
 * their connection: {@link LocalLambda} runs each invocation (and each handler's import, its init phase) inside an
 * `AsyncLocalStorage` context naming the function, and a `node:diagnostics_channel` subscriber on
 * `http.client.request.created` stamps {@link LOCAL_CALLER_HEADER} on every request to a loopback address created
 * in such a context — the AWS SDK's requests to the stand-ins among them. A request without it (local mode's own
 * reads, the tests, the ops CLI, the console) is the operator's.
 *
 * Not a security boundary, and it need not be one: it is all our code. The header cannot be borrowed by accident —
 * inside a function's context it is overwritten with that function's name, outside any it is removed — so a
 * handler only ever calls as itself. Escaping that (a raw socket, `AsyncLocalStorage` games) would be deliberate.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** The header a request made by a function carries: the function's folder name. */
export const LOCAL_CALLER_HEADER = 'x-yay-local-caller';

const callers = new AsyncLocalStorage<string>();
let installed = false;

/** Runs `work` as function `name`: every loopback request created inside it says so. */
export function runAsFunction<T>(name: string, work: () => T): T {
  installCallerStamp();
  return callers.run(name, work);
}

/** The function whose invocation the current code runs in, if any. */
export function currentFunction(): string | undefined {
  return callers.getStore();
}

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === '127.0.0.1' || name === 'localhost' || name === '::1';
}

function stamp({ request }: { request: ClientRequest }): void {
  const host = String(request.getHeader('host') ?? request.host ?? '');
  if (!isLoopback(host)) return;
  const caller = callers.getStore();
  if (caller) request.setHeader(LOCAL_CALLER_HEADER, caller);
  else request.removeHeader(LOCAL_CALLER_HEADER);
}

/**
 * Subscribes the stamp once per process. `http.client.request.created` exists from Node 22.12 / 23.2; on an older
 * Node the subscription would silently see nothing and every call would pass as the operator's, so that refuses.
 */
export function installCallerStamp(): void {
  if (installed) return;
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 12) || (major === 23 && minor < 2)) {
    throw new Error(
      `local mode's IAM enforcement needs Node 22.12 or later (http.client.request.created); this is ${process.version}`,
    );
  }
  subscribe('http.client.request.created', stamp as (message: unknown) => void);
  installed = true;
}

/** The function a stand-in's request came from; undefined for the operator. */
export function callerOf(req: IncomingMessage): string | undefined {
  const value = req.headers[LOCAL_CALLER_HEADER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
