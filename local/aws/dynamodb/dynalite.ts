/** DynamoDB for local mode: dynalite, on leveldb under the data dir. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

// dynalite ships CommonJS without types; the worker requires it by the path resolved here.
// dynalite ships CommonJS without types; the worker requires it by the path resolved here.
const requireFromHere = createRequire(import.meta.url);

/**
 * dynalite in a worker thread: it gets the second core (it and leveldb are a good share of local mode's
 * CPU), it still dies with the process on a kill (so the leveldb lock is released), and an error inside it
 * (leveldb refusing the folder) arrives as a message instead of crashing local mode.
 */
const DYNALITE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalite);
const server = dynalite({ path: workerData.path, createTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: error.message }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => {
  server.close(() => parentPort.postMessage({ closed: true }));
  server.closeAllConnections();
});
`;

export async function startDynalite(
  dataDir: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const worker = new Worker(DYNALITE_WORKER, {
    eval: true,
    workerData: { dynalite: requireFromHere.resolve('dynalite'), path: join(dataDir, 'dynamodb'), port },
  });
  const actual = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(`dynalite could not start: ${message.error}`)),
    );
  });
  return {
    url: `http://127.0.0.1:${actual}`,
    close: async () => {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await worker.terminate();
    },
  };
}
