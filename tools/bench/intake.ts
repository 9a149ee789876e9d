/**
 * `npm run bench -- intake`: warm webhook-intake throughput and latency over HTTP, beside a floor.
 *
 * - Floor: a node:http server that reads the body and answers 202, nothing else.
 * - Intake: a node:http server on 127.0.0.1 that turns each request into an HTTP API 2.0 event with the
 *   local http-adapter and calls the real handler chain (middy, Powertools logger/metrics/tracer, signature
 *   check, zod normalization, publish), twice:
 *   1. with the deployed deps except the publisher, which is in-memory (`createHandler`): intake's own cost;
 *   2. the deployed `handler` unmodified, whose real SDK EventBridge client sends PutEvents to a loopback
 *      stand-in: one extra HTTP round trip per request, served by this same process.
 *   Secrets Manager is the same loopback stand-in in both (read once, then cached by Powertools).
 * - Load: the same signed Stripe `checkout.session.completed` for both, a bounded number of requests at a
 *   fixed concurrency over keep-alive connections, after a warm-up, with a duration cap per run.
 * - The load generator is a forked process; servers and stand-in share this one, whose CPU time per request
 *   is reported beside throughput (the method is explained in the section's text). Handler log lines and EMF
 *   metrics are still produced (the work is real) but discarded.
 */
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { sendHttpApiResult, toHttpApiEvent } from '../../local/aws/http-adapter';
import { stripeBody, Variants } from '../../test/fixtures/webhooks';

const REQUESTS = 3_000;
const WARMUP = 300;
const CONCURRENCY = 16;
const ROUNDS = 2;
const DURATION_CAP_MS = 30_000;
const SECRET = 'whsec_bench-test-only-not-a-secret';
/** Set in the forked load generator: this module then serves load orders instead of being a benchmark. */
const LOAD_GENERATOR_ENV = 'INTAKE_BENCH_LOAD_GENERATOR';

interface RunResult {
  completed: number;
  statuses: Map<number, number>;
  seconds: number;
  latenciesMs: number[];
  /** CPU time (user + system) of the forked load generator over the run; NaN when it shares the servers' process. */
  clientCpuMicros: number;
  /**
   * CPU time of the servers' process over the run: the server under load (and, for the SDK run, the stand-in),
   * plus the load generator when it runs in the same process.
   */
  serverCpuMicros: number;
}

/** What the parent asks the load-generator process to do. */
interface LoadOrder {
  port: number;
  body: string;
  headers: Record<string, string>;
  count: number;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}

/** Loopback stand-in for the two AWS JSON-protocol calls the handler makes. */
function awsStandIn(secretString: string): Server {
  let eventId = 0;
  return createServer(async (req, res) => {
    await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    let body: unknown;
    if (target === 'AWSEvents.PutEvents') {
      eventId += 1;
      body = { FailedEntryCount: 0, Entries: [{ EventId: `bench-${eventId}` }] };
    } else if (target === 'secretsmanager.GetSecretValue') {
      body = {
        ARN: 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:bench',
        Name: 'bench',
        SecretString: secretString,
      };
    } else {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  });
}

/** Sends `count` POSTs at `CONCURRENCY`, stopping early at the duration cap. */
async function load(
  port: number,
  body: Buffer,
  headers: Record<string, string>,
  count: number,
): Promise<RunResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const statuses = new Map<number, number>();
  const latenciesMs: number[] = [];
  const deadline = Date.now() + DURATION_CAP_MS;
  let issued = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/webhooks/stripe',
          agent,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (issued < count && Date.now() < deadline) {
      issued += 1;
      await one();
    }
  };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return {
    completed: latenciesMs.length,
    statuses,
    seconds,
    latenciesMs,
    clientCpuMicros: cpu.user + cpu.system,
    serverCpuMicros: 0,
  };
}

/** The load generator's side: runs each order it is sent and answers with the result. */
function serveLoadOrders(): void {
  process.on('message', async (order: LoadOrder) => {
    const result = await load(order.port, Buffer.from(order.body, 'base64'), order.headers, order.count);
    process.send?.({ ...result, statuses: [...result.statuses] });
  });
  process.send?.('ready');
}

/**
 * A load generator in its own process, so the servers' CPU time can be read apart from the client's.
 * `runOn` measures this process's CPU over each run: with nothing else running here, that is the server's cost.
 */
async function loadGenerator() {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv,
    env: { ...process.env, [LOAD_GENERATOR_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await once(child, 'message');
  return {
    async runOn(port: number, body: Buffer, headers: Record<string, string>, count: number) {
      const cpuBefore = process.cpuUsage();
      const answer = once(child, 'message');
      child.send({ port, body: body.toString('base64'), headers, count } satisfies LoadOrder);
      const [raw] = (await answer) as [Omit<RunResult, 'statuses'> & { statuses: Array<[number, number]> }];
      const cpu = process.cpuUsage(cpuBefore);
      return { ...raw, statuses: new Map(raw.statuses), serverCpuMicros: cpu.user + cpu.system };
    },
    stop() {
      child.kill();
    },
  };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

function summarize(result: RunResult) {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return {
    rps: result.completed / result.seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    serverCpu: result.serverCpuMicros / result.completed,
    clientCpu: result.clientCpuMicros / result.completed,
    statuses: [...result.statuses].map(([status, n]) => `${n}×${status}`).join(', '),
  };
}

/** Swallows stdout while `run` executes: the handler's JSON logs and EMF lines would bury the table. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await run();
  } finally {
    process.stdout.write = write;
  }
}

export default async function (): Promise<string> {
  const stand = awsStandIn(JSON.stringify({ stripe: [SECRET], shopify: [], woocommerce: [] }));
  const awsPort = await listen(stand);
  // Stripe's published Checkout Session, completed and paid as the store settings of docs/deploy.md make it.
  const body = Buffer.from(stripeBody(Variants.paidSessionEvent()));
  const t = Math.floor(Date.now() / 1000);
  const signature = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex')}`;
  const headers = { 'stripe-signature': signature };

  // Two layouts, each measuring floor and intake the same way (see the section's text): the load generator in
  // this process and in a forked one. Other work shares this machine: each server runs ROUNDS times per
  // layout, in turn, and its fastest round is kept, so one noisy moment does not decide.
  const inProcess = async (port: number, count: number): Promise<RunResult> => {
    const cpuBefore = process.cpuUsage();
    const run = await load(port, body, headers, count);
    const cpu = process.cpuUsage(cpuBefore);
    return { ...run, serverCpuMicros: cpu.user + cpu.system, clientCpuMicros: Number.NaN };
  };
  const client = await loadGenerator();
  const layouts = [
    { name: 'one process', run: inProcess },
    {
      name: 'forked load generator',
      run: (port: number, count: number) => client.runOn(port, body, headers, count),
    },
  ];
  const measure = (ports: number[]) =>
    quietly(async () => {
      const best: RunResult[][] = layouts.map(() => []);
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const [l, layout] of layouts.entries()) {
          for (const [i, port] of ports.entries()) {
            await layout.run(port, WARMUP);
            const run = await layout.run(port, REQUESTS);
            const current = best[l]?.[i];
            if (!current || run.completed / run.seconds > current.completed / current.seconds)
              (best[l] as RunResult[])[i] = run;
          }
        }
      }
      return best;
    });

  // The floor runs before the handler is imported: importing it loads the X-Ray SDK (through the Powertools
  // tracer), whose async hook tracks every promise of the process. Measured with the floor after the import,
  // the floor paid that too (server CPU 73-78 µs per request instead of 40 with the hook off), which
  // flattered intake.
  const floor = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    await readBody(req);
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end('{}');
  });
  const floorRuns = await measure([await listen(floor)]);

  Object.assign(process.env, {
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'test-only-not-a-secret',
    AWS_SECRET_ACCESS_KEY: 'test-only-not-a-secret',
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${awsPort}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${awsPort}`,
    EVENT_BUS_NAME: 'provisioning-bench',
    WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:bench',
    CREDIT_CATALOG: JSON.stringify({ 'VOIP-10': { GBP: '10.000' } }),
  });
  // Imported after the environment is set: the handler reads its configuration at import, as in Lambda.
  const { createHandler, deployedDeps, handler } = await import('../../functions/webhook-intake/handler');
  let kept = 0;
  const inMemory = createHandler({
    ...deployedDeps,
    publisher: {
      async publish() {
        kept += 1;
      },
    },
  });
  const context = {
    awsRequestId: 'bench',
    functionName: 'webhook-intake',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
  const serve = (run: typeof handler) =>
    createServer(async (req, res) => {
      const event = toHttpApiEvent(req, await readBody(req));
      sendHttpApiResult(res, (await run(event, context)) as APIGatewayProxyStructuredResultV2);
    });
  const memory = serve(inMemory);
  const sdk = serve(handler);
  const intakeRuns = await measure([await listen(memory), await listen(sdk)]);
  client.stop();
  await Promise.all([close(floor), close(memory), close(sdk), close(stand)]);
  if (kept !== layouts.length * ROUNDS * (WARMUP + REQUESTS))
    throw new Error(`in-memory publisher kept ${kept} events`);
  const results = layouts.map((_, l) => [...(floorRuns[l] ?? []), ...(intakeRuns[l] ?? [])]);

  const fmt = (n: number) => n.toFixed(2);
  const rows: string[] = [];
  const ratios: Array<{ rps: number; cpu: number; added: number }> = [];
  for (const [l, layout] of layouts.entries()) {
    const [floorRun, memoryRun, sdkRun] = results[l] as [RunResult, RunResult, RunResult];
    const a = summarize(floorRun);
    const named: Array<[string, RunResult]> = [
      ['floor: node:http answering 202', floorRun],
      ['intake, in-memory publisher', memoryRun],
      ['intake, SDK PutEvents to loopback stand-in', sdkRun],
    ];
    for (const [name, run] of named) {
      const s = summarize(run);
      const clientCpu = Number.isNaN(s.clientCpu) ? "(in the servers' process)" : s.clientCpu.toFixed(0);
      rows.push(
        `| ${layout.name} | ${name} | ${run.completed} | ${s.statuses} | ${s.rps.toFixed(0)} | ${fmt(s.rps / a.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${s.serverCpu.toFixed(0)} | ${fmt(a.serverCpu / s.serverCpu)} | ${clientCpu} |`,
      );
    }
    const b = summarize(memoryRun);
    ratios.push({ rps: b.rps / a.rps, cpu: a.serverCpu / b.serverCpu, added: b.serverCpu - a.serverCpu });
  }
  const [one, forked] = ratios as [(typeof ratios)[0], (typeof ratios)[0]];
  return [
    '### Webhook intake (`npm run bench -- intake`)',
    '',
    `Signed Stripe \`checkout.session.completed\` (${body.length} bytes) POSTed to 127.0.0.1, ${REQUESTS} requests at`,
    `concurrency ${CONCURRENCY} over keep-alive after ${WARMUP} warm-up requests, cap ${DURATION_CAP_MS / 1000} s per run;`,
    `floor first, then the intake servers in turn, ${ROUNDS} rounds per layout, each server's fastest round shown.`,
    'Intake = the real handler chain behind the local http-adapter, (1) with an in-memory publisher and (2) unmodified,',
    "its SDK PutEvents answered by a loopback stand-in in the servers' process. Secrets via the real Secrets Manager",
    `client against the stand-in, cached. Node ${process.version}, two shared cores: compare ratios.`,
    '',
    "| load generator | server | requests | statuses | req/s | ratio to floor | p50 ms | p99 ms | CPU µs/req, servers' process | floor CPU / this CPU | client CPU µs/req |",
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Intake (in-memory publisher) / floor throughput, load generator in the same process: **${fmt(one.rps)}** (target ≥ 0.5: ${one.rps >= 0.5 ? 'met' : 'not met'}).`,
    `Same, load generator in its own process: **${fmt(forked.rps)}** by req/s, **${fmt(forked.cpu)}** by the servers' CPU per request (intake adds ${forked.added.toFixed(0)} µs; ${one.added.toFixed(0)} µs in one process).`,
    '',
    "Method. One process: load generator and servers share one Node process, so each request's client and server",
    'work are serialised on one core, alike for floor and intake; the CPU column is then client plus server. The',
    "client's share (about 60 µs per request) dilutes the ratio toward 1, which flatters intake. Forked: the same",
    "load generator runs in a child process and the CPU column is the servers' process alone, what a Lambda",
    'instance would spend per request, read apart from the client and far steadier than req/s when other work',
    "shares the cores. But there the floor is bound by the client (Node's HTTP client costs about as much CPU per",
    'request as the floor server), and a slow server leaves the client idle, so each response pays a cross-process',
    'wake-up in its write: the forked req/s ratio still flatters intake a little, its CPU ratio is a little harsh.',
    'The floor is measured before the handler is imported (its X-Ray SDK hooks every promise of the process), so in',
    'the one-process layout intake is also charged what that hook costs the load generator. Read the two layouts',
    'together; neither is tuned for intake.',
  ].join('\n');
}

if (process.env[LOAD_GENERATOR_ENV] === '1') serveLoadOrders();
