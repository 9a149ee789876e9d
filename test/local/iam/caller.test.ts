import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { callerOf, LOCAL_CALLER_HEADER, runAsFunction } from '../../../local/iam/caller';
import { listenLoopback } from '../../../local/listen';

describe('who makes a call', () => {
  it('stamps a loopback request made inside a function with its name, and strips one made outside', async () => {
    const seen: Array<string | undefined> = [];
    const server = await listenLoopback((req, res) => {
      seen.push(callerOf(req));
      res.end();
    });
    const { port } = server;
    const call = (headers: Record<string, string> = {}) =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, headers }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      await runAsFunction('dispatch', async () => {
        await call();
        // A handler cannot call as another function: its own name overwrites what it set.
        await call({ [LOCAL_CALLER_HEADER]: 'sweep' });
      });
      // Nor can anything outside a function borrow one.
      await call({ [LOCAL_CALLER_HEADER]: 'sweep' });
    } finally {
      await server.close();
    }

    expect(seen).toEqual(['dispatch', 'dispatch', undefined]);
  });
});
