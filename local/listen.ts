/**
 * The one way this repository listens for HTTP: local mode's front door and stand-ins, the Yay sandbox and its
 * control port, and the operator console on its own server. Node's built-ins only, so anything may import it —
 * the console does, without depending on local mode (test/toolchain/layers.test.ts holds it to that).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server that is listening: where, and how to stop it. */
export interface LoopbackServer {
  /** `http://<host>:<port>` (an IPv6 host in brackets). */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends open connections (keep-alive ones included), so a stop never waits on a client. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`: nothing here is meant to be reached from another machine unless asked. */
  readonly host?: string;
  /** The message a taken port fails with, naming how to choose another (a variable, a flag). Default Node's own. */
  readonly inUse?: (port: number) => string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Listens (on 127.0.0.1 unless `host` says otherwise) and resolves once listening. */
export async function listen(handler: Handler, options: ListenOptions = {}): Promise<LoopbackServer> {
  const { port = 0, host = '127.0.0.1', inUse } = options;
  const server = createServer((req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' && inUse ? new Error(inUse(port)) : error);
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Listens on 127.0.0.1 (port 0 = a free port) and resolves once listening. */
export function listenLoopback(handler: Handler, port = 0): Promise<LoopbackServer> {
  return listen(handler, { port });
}
