/**
 * `npm run bench -- console`: the operator console's pages with 10,000 orders in the table, rendered over HTTP.
 *
 * Method. dynalite runs in a worker thread, as local mode runs it (it gets the second core), in memory. The orders
 * are written through the store's own writes (`record`, `recordCustomer`, the transfer transitions, `recordOutcome`,
 * `flagAttention`), so every index attribute is what production writes: 10,000 orders spread evenly over the last
 * 60 UTC days, three providers, buyers with a repeat buyer every tenth order, and the mix of states below. The
 * console is the real one (`serveConsole`, token and cookie, the real read model and pages) over that store; only
 * Step Functions is left out (each order page asks for its executions' histories, which answer "no such execution"
 * here at once: those calls are a Step Functions round trip on AWS and are not in these numbers), and the
 * reseller balance is a constant. Each page is fetched over keep-alive HTTP by this process, one request at a
 * time: 5 warm-up requests, then ITERATIONS timed, from the request to the last byte of the body. The Overview
 * reads every order of its 30 days (about half the table here) and every credit movement, projected to a few
 * attributes; its reseller balance is a constant and its credit owed reads the open orders. "Page 50" is
 * reached by following 49 "Next page" links first (not timed); its link (the cursor) is then fetched each time.
 * DynamoDB calls are counted on the console's client for one request of each. The machine has two cores shared
 * with other work, so read the medians; p95 shows the noise.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { serveConsole } from '../../console/server';
import type { ConsoleSources } from '../../console/sources';
import { operatorObservability } from '../../ops/target';
import type { Millis } from '../../shared/domain/credit';
import type { Provider } from '../../shared/domain/keys';
import type { OrderEvent } from '../../shared/domain/order-event';
import { attentionAction } from '../../shared/domain/order-state';
import { createTable } from '../../shared/store/create-table';
import {
  createDynamoStore,
  createNotificationStores,
  type DynamoStore,
} from '../../shared/store/dynamo-store';
import { sfnWorkflowControl } from '../../shared/workflow/sfn-control';
import { outboundRecorder } from '../../test/shared/workflow/outbound';

const ORDERS = Number(process.env.BENCH_CONSOLE_ORDERS) || 10_000;
const DAYS = 60;
const ITERATIONS = 30;
const WARM_UP = 5;
const WRITERS = 24;
const TABLE = 'bench-console';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench-test-only-not-a-secret' };

const DYNALITE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalite);
const server = dynalite({ createTableMs: 0 });
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

async function startDynalite(): Promise<{ endpoint: string; stop(): Promise<number> }> {
  const worker = new Worker(DYNALITE_WORKER, {
    eval: true,
    workerData: { dynalite: createRequire(import.meta.url).resolve('dynalite') },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (message: { port: number }) => resolve(message.port));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => worker.terminate() };
}

/** How the 10,000 split: per 1,000 orders. */
const MIX: Array<{ per1000: number; kind: Kind }> = [
  { per1000: 860, kind: 'fulfilled' },
  { per1000: 50, kind: 'awaiting_payment' },
  { per1000: 40, kind: 'expired' },
  { per1000: 20, kind: 'missing_details' },
  { per1000: 15, kind: 'failed' },
  { per1000: 10, kind: 'transfer_review' },
  { per1000: 5, kind: 'refunded' },
];
type Kind =
  | 'fulfilled'
  | 'awaiting_payment'
  | 'expired'
  | 'missing_details'
  | 'failed'
  | 'transfer_review'
  | 'refunded';

function kindOf(i: number): Kind {
  let slot = (i * 7919) % 1000;
  for (const { per1000, kind } of MIX) {
    if (slot < per1000) return kind;
    slot -= per1000;
  }
  return 'fulfilled';
}

const PROVIDERS: Array<{ provider: Provider; store: string }> = [
  { provider: 'stripe', store: 'default' },
  { provider: 'shopify', store: 'bench-shop.myshopify.com' },
  { provider: 'woocommerce', store: 'shop.example.com' },
];

function eventOf(i: number): OrderEvent {
  const { provider, store } = PROVIDERS[i % PROVIDERS.length] as (typeof PROVIDERS)[number];
  const orderId = `bench_${String(i).padStart(5, '0')}`;
  // A repeat buyer every tenth order: one e-mail finds several orders.
  const buyer = i % 10 === 0 ? 'repeat' : `buyer${i}`;
  return {
    kind: kindOf(i) === 'awaiting_payment' || kindOf(i) === 'expired' ? 'placed' : 'paid',
    provider,
    store,
    orderId,
    orderKey: `${provider}:${store}:${orderId}`,
    buyerKey: `${provider}:${store}:${buyer}@example.com`,
    buyer: { name: `Bench ${buyer}`, firstName: 'Bench', lastName: buyer, email: `${buyer}@example.com` },
    address: { street_one: '1 Bench Street', city: 'Guildford', zip: 'GU2 4AW', country_code: 'GB' },
    credit: { amount: 5_000 + (i % 4) * 5_000, currency: 'GBP' },
    sourceEventId: `evt_bench_${i}`,
    occurredAt: new Date().toISOString(),
  };
}

/** Writes order `i` as the workflow would leave it in its state: the same store calls, in the same order. */
async function seedOrder(store: DynamoStore, i: number, now: number): Promise<void> {
  const at = new Date(now - Math.floor((i / ORDERS) * DAYS * 86_400_000));
  const event = eventOf(i);
  const kind = kindOf(i);
  const key = event.orderKey;
  const customer = { uuid: `uuid-${i}`, name: `cbench${String(i).padStart(15, '0')}` };
  await store.record(event, `exec-${i}`, at);
  if (kind === 'awaiting_payment') {
    await store.storeTaskToken(key, `bench-task-token-${randomBytes(8).toString('hex')}`, at);
    return;
  }
  if (kind === 'expired') {
    await store.recordOutcome(key, 'expired', { Error: 'States.Timeout' }, at);
    return;
  }
  if (kind === 'missing_details') {
    const fields = ['address.street_one'];
    await store.recordOutcome(key, 'needs_attention', undefined, at, {
      attention: {
        reason: 'missing_details',
        message: 'a new Yay customer needs address.street_one',
        action: attentionAction('missing_details', key, fields),
        fields,
        since: at.toISOString(),
      },
    });
    return;
  }
  if (kind === 'failed') {
    await store.recordOutcome(key, 'failed', { Error: 'YayAuthFailed' }, at, {
      attention: {
        reason: 'failed',
        message: 'YayAuthFailed: Yay refused the credentials (403)',
        action: attentionAction('failed', key),
        since: at.toISOString(),
      },
    });
    return;
  }
  await store.recordCustomer(event, customer, at);
  const amount = event.credit.amount as number;
  await store.planIntent(key, { customerUuid: customer.uuid, customerName: customer.name }, at);
  await store.transition(key, ['PENDING'], 'IN_FLIGHT', { amount, incrementAttempts: true }, at);
  if (kind === 'transfer_review') {
    await store.transition(key, ['IN_FLIGHT'], 'NEEDS_REVIEW', { reason: 'no snapshot' }, at);
    await store.recordOutcome(key, 'needs_attention', undefined, at, {
      attention: {
        reason: 'transfer_review',
        message: 'no customer balance snapshot was taken before the call',
        action: attentionAction('transfer_review', key),
        since: at.toISOString(),
      },
    });
    return;
  }
  await store.transition(key, ['IN_FLIGHT'], 'APPLIED', {}, at);
  await store.recordOutcome(key, 'fulfilled', undefined, at);
  if (kind === 'refunded') {
    await store.recordFact(
      key,
      { type: 'refund', id: `re_${key}`, amount: 1_000, currency: 'GBP', at: at.toISOString() },
      at,
    );
    await store.flagAttention(
      key,
      {
        reason: 'refund_after_credit',
        message: 'the store refunded the order after its credit moved',
        action: attentionAction('refund_after_credit', key),
        since: at.toISOString(),
      },
      at,
      { beside: true },
    );
  }
}

interface Fetched {
  ms: number;
  status: number;
  body: string;
}

function fetchPage(agent: Agent, base: string, path: string, cookie: string): Promise<Fetched> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { agent, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          ms: performance.now() - started,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

export default async function (): Promise<string> {
  const dynalite = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: dynalite.endpoint,
    region: 'eu-west-2',
    credentials: CREDENTIALS,
  });
  let calls = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      calls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  await createTable(client, TABLE);
  const store = createDynamoStore({ tableName: TABLE, client });
  const now = Date.now();
  const seedStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < ORDERS) await seedOrder(store, next++, now);
    }),
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // Step Functions: a client of nothing listening, which answers every history read at once with a
  // connection error; the console shows "not in Step Functions" (see the method above).
  const sfn = new SFNClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'eu-west-2',
    credentials: CREDENTIALS,
  });
  const observability = operatorObservability(() => undefined);
  const workflow = sfnWorkflowControl(sfn, 'arn:aws:states:eu-west-2:000000000000:stateMachine:Bench');
  const sources: ConsoleSources = {
    where: 'benchmark table',
    store,
    emails: createNotificationStores({ tableName: TABLE, client }).emails,
    actions: {
      deps: {
        ...observability,
        orders: store,
        buyers: store,
        transfers: store,
        workflow,
        events: outboundRecorder().events,
      },
    },
    history: async () => undefined,
    resellerBalance: async () => 10_000_000 as Millis,
    now: () => new Date(now),
    close: () => undefined,
  };
  const served = await serveConsole({ sources, host: '127.0.0.1', port: 0, loopbackOnly: true });
  const base = new URL(served.url).origin;
  const cookie = `${served.console.secrets.cookieName}=${served.console.secrets.token}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) => fetchPage(agent, base, path, cookie);

  try {
    // Page 50, by following the Next links as a person would.
    // (A smaller BENCH_CONSOLE_ORDERS may have fewer pages: the last one is measured, and named.)
    let page50 = '/console/orders';
    let pageNumber = 1;
    for (; pageNumber < 50; pageNumber++) {
      const link = (await get(page50)).body.match(/<a rel="next" href="([^"]+)"/)?.[1];
      if (!link) break;
      page50 = link.replaceAll('&amp;', '&');
    }
    const sample = eventOf(Math.min(1234, ORDERS - 1));
    const requests = [
      { page: 'Needs attention', path: '/console/' },
      { page: 'Orders, first page', path: '/console/orders' },
      { page: 'Orders, filtered: provider=shopify (1 in 3)', path: '/console/orders?provider=shopify' },
      { page: 'Orders, filtered: state=failed (1.5%)', path: '/console/orders?state=failed' },
      { page: `Orders, page ${pageNumber} (by its cursor)`, path: page50 },
      { page: 'Search by buyer e-mail (a repeat buyer)', path: '/console/orders?q=repeat%40example.com' },
      { page: 'Order', path: `/console/order?key=${encodeURIComponent(sample.orderKey)}` },
      { page: 'Overview (30 days of orders and credit)', path: '/console/overview' },
    ];
    const rows: string[] = [];
    for (const { page, path } of requests) {
      calls = 0;
      const once = await get(path);
      const callsPerRequest = calls;
      if (once.status !== 200) throw new Error(`${path} answered ${once.status}`);
      for (let i = 0; i < WARM_UP; i++) await get(path);
      const times: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) times.push((await get(path)).ms);
      times.sort((a, b) => a - b);
      // Rows of a list; on the Order page, the timeline's lines; on the Overview, the days of its table.
      const shown = (once.body.match(/<tr data-order=|<li class="from-|<tr><td>\d{4}-/g) ?? []).length;
      if (process.env.BENCH_CONSOLE_DUMP) process.stderr.write(`${path}\n${once.body.slice(0, 4000)}\n\n`);
      rows.push(
        `| ${page} | ${shown} | ${(Buffer.byteLength(once.body) / 1024).toFixed(1)} | ${callsPerRequest} | ` +
          `${percentile(times, 50).toFixed(1)} | ${percentile(times, 95).toFixed(1)} |`,
      );
    }
    const attention = (await store.listAttention()).length;
    return [
      '### Operator console (`npm run bench -- console`)',
      '',
      `${ORDERS.toLocaleString('en-GB')} orders over the last ${DAYS} days in dynalite (worker thread, in memory), written ` +
        `through the store's own writes in ${seedSeconds.toFixed(0)} s; ${attention} of them wait for a person. ` +
        `Each page fetched over keep-alive HTTP, one at a time: ${WARM_UP} warm-up, then ${ITERATIONS} timed requests ` +
        `(request to last byte). Node ${process.version} on ${process.platform}/${process.arch}, two shared cores. ` +
        'Step Functions histories are not in the numbers (see the method in tools/bench/console.ts).',
      '',
      '| page | rows shown | KB | DynamoDB calls | median ms | p95 ms |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n');
  } finally {
    agent.destroy();
    await served.close();
    sfn.destroy();
    client.destroy();
    await dynalite.stop();
  }
}
