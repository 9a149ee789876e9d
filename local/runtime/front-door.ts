/** Local mode's front door: the HTTP API's webhook routes, `/healthz` and what is mounted (the console). */
import type { RequestListener, ServerResponse } from 'node:http';
import { readRequestBody } from '../aws/aws-json';
import { sendHttpApiResult, toHttpApiEvent } from '../aws/http-adapter';
import { listen } from '../listen';
import type { Cleanups } from './cleanups';
import type { LineSink } from './progress';

const MAX_WEBHOOK_BYTES = 6 * 1024 * 1024;

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A mounted listener's route: 503 under its prefix until `listener` is set. */
export interface MountRoute {
  readonly prefix: string;
  listener?: RequestListener;
}

/**
 * The HTTP API's webhook routes, served as API Gateway serves them (payload limit, 404/405, 500 when the
 * integration fails), plus `GET /healthz` and what is mounted (the operator console under `/console`, once
 * `mount.listener` is set). Resolves with its URL once listening.
 */
export async function startFrontDoor(
  port: number,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
  mount: MountRoute | undefined,
): Promise<string> {
  const server = await listen(
    (req, res) => {
      void (async () => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && path === '/healthz') return json(res, 200, { status: 'ok' });
        if (mount && (path === mount.prefix || path?.startsWith(`${mount.prefix}/`))) {
          if (!mount.listener)
            return json(res, 503, { error: 'starting', message: 'local mode is starting' });
          return mount.listener(req, res);
        }
        if (!/^\/webhooks\/[^/]+$/.test(path ?? '')) {
          return json(res, 404, { error: 'not_found', message: `no route for ${req.method} ${path}` });
        }
        if (req.method !== 'POST') {
          return json(res, 405, { error: 'method_not_allowed', message: 'webhooks are POST only' });
        }
        // API Gateway refuses bodies past its payload limit before the function runs; so does local mode.
        const body = await readRequestBody(req, MAX_WEBHOOK_BYTES);
        if (!body) return json(res, 413, { error: 'payload_too_large', message: 'request body too large' });
        const result = await invoke('webhook-intake', toHttpApiEvent(req, body));
        sendHttpApiResult(res, result as Parameters<typeof sendHttpApiResult>[1]);
      })().catch((error: unknown) => {
        // What API Gateway answers when the integration fails; the cause goes to the progress log by name.
        print(`webhook intake failed: ${error instanceof Error ? error.name : 'error'}`);
        if (!res.headersSent) json(res, 500, { message: 'Internal Server Error' });
      });
    },
    {
      port,
      inUse: (taken) => `PORT ${taken} is already in use: set PORT to a free port (or 0 for any)`,
    },
  );
  cleanups.push(() => server.close());
  return server.url;
}
