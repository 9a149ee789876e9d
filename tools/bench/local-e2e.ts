/**
 * `npm run bench -- local-e2e`: local mode end to end — signed Stripe webhooks over HTTP, intake, the bus,
 * dispatch, the state machine on aws-local-stepfunctions, dynalite, and the Yay sandbox at 50 ms latency
 * answering 429 above 10 concurrent requests — for 1,000 paid orders, beside the rate that limit allows.
 *
 * The allowed rate is measured in the same run: 10 concurrent / (50 ms × the Yay calls an order makes,
 * counted from the sandbox's request log, 429s excluded). The load is closed-loop: a fixed number of
 * orders in flight, the next webhook sent as soon as one order finishes. Everything shares one process
 * on a two-core machine. Failed orders (not fulfilled) and duplicated effects (a buyer with two customers,
 * a customer credited twice or with the wrong balance) are counted, not assumed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { currentFunction } from '../../local/iam/caller';
import { type LocalRuntime, startLocal } from '../../local/runtime/start-local';
import { sampleId, signStripe, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import type { Millis } from '../../shared/domain/credit';
import { observeTableCalls } from '../../shared/store/consumed-capacity';

/** Orders per row; `BENCH_LOCAL_E2E_ORDERS` lowers it for a quick look (the report states the count). */
const ORDERS = Number(process.env.BENCH_LOCAL_E2E_ORDERS) || 1_000;
const LATENCY_MS = 50;
const YAY_MAX_CONCURRENT = 10;
const CAP_MS = 240_000;
const SECRET = 'whsec_bench-test-only-not-a-secret';
const CREDIT = 10_000;
/** Orders of the one-in-flight row: enough for a steady median. */
const UNLOADED_ORDERS = 100;
/** Targets (issue 12): latency at most 1.5× the order's Yay calls alone; at least 80% of the allowed rate. */
const MAX_LATENCY_RATIO = 1.5;
const MIN_SHARE_OF_ALLOWED = 0.8;
/** Target (issue 12): DynamoDB calls of the workflow per paid order; the floor of Yay calls is create + transfer. */
const MAX_TABLE_CALLS = 8;
const YAY_FLOOR = 2;

interface RunResult {
  inFlight: number;
  sent: number;
  fulfilled: number;
  failed: number;
  unfinished: number;
  duplicated: number;
  seconds: number;
  callsPerOrder: number;
  /** DynamoDB calls made by the workflow's functions (intake to outcome) and by notify, while the row ran. */
  tableCalls: { workflow: number; notify: number };
  rateLimited: number;
  latencies: number[];
  /** CPU time of the whole process (every thread: handlers, stand-ins, dynalite, sandbox) while orders ran. */
  cpuMs: number;
  /** CPU time of the main thread alone (Linux), where the handlers, the engine and the stand-ins run. */
  mainCpuMs: number;
  /** Share of the row's wall time the main thread's event loop was busy (1 = saturated). */
  mainBusy: number;
}

/** POSTs one signed webhook over a keep-alive agent: lighter on the shared CPU than fetch. */
function post(agent: Agent, url: string, event: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify(event);
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/webhooks/stripe`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'stripe-signature': signStripe(body, SECRET),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CPU time (user + system, ms) of the main thread from /proc (Linux); NaN elsewhere. The main thread is
 * local mode's bottleneck; unlike its event-loop share, its CPU time does not count time the scheduler
 * gave to other processes of a shared machine.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th, in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function run(inFlight: number, orders: number): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'yay-bench-e2e-'));
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocal({
      env: { STRIPE_WEBHOOK_SECRET: SECRET },
      overrides: { port: 0, dataDir, maxWaitSeconds: 1 },
      print: () => undefined,
      schedules: false,
      sandbox: {
        resellerBalance: (orders * CREDIT * 2) as Millis,
        faults: { latencyMs: LATENCY_MS, maxConcurrent: YAY_MAX_CONCURRENT },
      },
    });
    const rt = runtime;
    const sandbox = rt.sandbox;
    if (!sandbox) throw new Error('the bench runs against the in-process sandbox');
    const waiters = new Map<string, () => void>();
    rt.workflow.events.on('closed', (record) => {
      if (record.orderKey) waiters.get(record.orderKey)?.();
    });

    const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
    const latencies: number[] = [];
    const keys: string[] = [];
    const deadline = Date.now() + CAP_MS;
    let next = 0;
    const started = Date.now();
    const cpu0 = process.cpuUsage();
    const mainCpu0 = mainThreadCpuMs();
    const elu0 = performance.eventLoopUtilization();
    // Every DynamoDB call passes the table module's counter; the caller's function name comes from local mode's
    // invocation context (local/iam/caller.ts). Calls outside any function (this bench's own reads) are not counted.
    const tableCalls = { workflow: 0, notify: 0 };
    const stopCounting = observeTableCalls(() => {
      const fn = currentFunction();
      if (fn === 'notify') tableCalls.notify += 1;
      else if (fn !== undefined) tableCalls.workflow += 1;
    });
    const worker = async () => {
      while (next < orders && Date.now() < deadline) {
        next += 1;
        const buyer = {
          name: `Bench Buyer ${next}`,
          email: `bench-${next}@example.com`,
          customerId: sampleId('cus'),
        };
        const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });
        const key = stripeOrderKey(event);
        keys.push(key);
        const t0 = Date.now();
        const closed = new Promise<void>((resolve) => waiters.set(key, resolve));
        if ((await post(agent, rt.url, event)) !== 202) continue;
        const remaining = deadline - Date.now();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          closed,
          new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, remaining)))),
        ]);
        clearTimeout(timer);
        waiters.delete(key);
        latencies.push(Date.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const seconds = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const mainCpuMs = mainThreadCpuMs() - mainCpu0;
    const mainBusy = performance.eventLoopUtilization(elu0).utilization;
    agent.destroy();
    await rt.idle(10_000).catch(() => undefined);
    stopCounting();

    const states = new Map((await rt.store.listOrders()).map((order) => [order.orderKey, order.state]));
    const fulfilled = keys.filter((key) => states.get(key) === 'fulfilled').length;
    const failed = keys.filter((key) => {
      const state = states.get(key);
      return state !== undefined && state !== 'fulfilled' && state !== 'open' && state !== 'awaiting_payment';
    }).length;
    const state = sandbox.state;
    const byContact = new Map<string, number>();
    for (const customer of state.customers)
      byContact.set(customer.contact_name, (byContact.get(customer.contact_name) ?? 0) + 1);
    const transfersPer = new Map<string, number>();
    for (const transfer of state.transfers)
      transfersPer.set(transfer.customerUuid, (transfersPer.get(transfer.customerUuid) ?? 0) + 1);
    const duplicated =
      [...byContact.values()].filter((n) => n > 1).length +
      state.customers.filter((c) => (transfersPer.get(c.uuid) ?? 0) > 1 || c.balance > CREDIT).length;
    const served = state.requests.filter((r) => r.fault !== 'rate-limited').length;
    return {
      inFlight,
      sent: keys.length,
      fulfilled,
      failed,
      unfinished: keys.length - fulfilled - failed,
      duplicated,
      seconds,
      callsPerOrder: fulfilled > 0 ? served / fulfilled : Number.NaN,
      tableCalls,
      rateLimited: state.requests.length - served,
      latencies: latencies.sort((a, b) => a - b),
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainCpuMs,
      mainBusy,
    };
  } finally {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export default async function (): Promise<string> {
  const results: RunResult[] = [];
  // One in flight: an order's latency with nothing else running, against the time of its Yay calls alone (issue
  // 12's latency target). Ten in flight matches the limit; twenty overshoots it, so the 429 retries are part of
  // the measure. One process can hold only one local runtime at a time, so the runs are sequential.
  results.push(await run(1, Math.min(ORDERS, UNLOADED_ORDERS)));
  for (const inFlight of [YAY_MAX_CONCURRENT, 2 * YAY_MAX_CONCURRENT])
    results.push(await run(inFlight, ORDERS));

  const rows = results.map((r) => {
    const rate = r.fulfilled / r.seconds;
    const allowed = YAY_MAX_CONCURRENT / ((LATENCY_MS / 1000) * r.callsPerOrder);
    const yayMs = LATENCY_MS * r.callsPerOrder;
    return `| ${r.inFlight} | ${r.sent} | ${r.fulfilled} | ${r.failed} | ${r.unfinished} | ${r.duplicated} | ${r.seconds.toFixed(1)} | ${rate.toFixed(1)} | ${r.callsPerOrder.toFixed(2)} | ${(r.tableCalls.workflow / Math.max(1, r.fulfilled)).toFixed(2)} + ${(r.tableCalls.notify / Math.max(1, r.fulfilled)).toFixed(2)} | ${allowed.toFixed(1)} | ${((100 * rate) / allowed).toFixed(0)}% | ${r.rateLimited} | ${percentile(r.latencies, 50)} / ${percentile(r.latencies, 95)} | ${(percentile(r.latencies, 50) / yayMs).toFixed(2)} | ${(r.mainCpuMs / Math.max(1, r.fulfilled)).toFixed(1)} / ${(r.cpuMs / Math.max(1, r.fulfilled)).toFixed(1)} | ${(100 * r.mainBusy).toFixed(0)}% |`;
  });
  const [unloaded, ...loaded] = results;
  const latencyRatio = unloaded
    ? percentile(unloaded.latencies, 50) / (LATENCY_MS * unloaded.callsPerOrder)
    : Number.NaN;
  const best = Math.max(
    ...loaded.map(
      (r) => r.fulfilled / r.seconds / (YAY_MAX_CONCURRENT / ((LATENCY_MS / 1000) * r.callsPerOrder)),
    ),
  );
  const workflowCalls = unloaded
    ? unloaded.tableCalls.workflow / Math.max(1, unloaded.fulfilled)
    : Number.NaN;
  const clean = results.every((r) => r.failed === 0 && r.duplicated === 0 && r.unfinished === 0);
  return [
    '### Local end to end (`npm run bench -- local-e2e`)',
    '',
    `${ORDERS} paid Stripe checkouts per row, signed and sent over HTTP to local mode (intake → bus → dispatch → state machine → dynalite, all handlers unmodified), against the Yay sandbox at ${LATENCY_MS} ms latency answering 429 above ${YAY_MAX_CONCURRENT} concurrent requests. Closed loop: "in flight" orders at a time, the next sent when one finishes; waits and retry intervals capped at 1 s (LOCAL_MAX_WAIT_SECONDS). Allowed rate = ${YAY_MAX_CONCURRENT} concurrent / (${LATENCY_MS} ms × Yay calls per order, measured in the same run, 429s excluded). Overall cap ${CAP_MS / 1000} s per row. One process, two cores. CPU ms/order = user + system CPU of the main thread / of the whole process (all threads) while the row ran, per fulfilled order; main thread busy = its event-loop utilisation over the row — together they say whether a row was bound by local mode's CPU or by the machine being shared.`,
    '',
    `| in flight | orders | fulfilled | failed | unfinished | duplicated | seconds | orders/s | Yay calls/order (floor ${YAY_FLOOR}) | DynamoDB calls/order, workflow + notify | allowed orders/s | of allowed | 429 answers | order latency p50 / p95 ms | p50 ÷ its Yay calls alone | CPU ms/order main / all | main thread busy |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Latency with one order in flight: **${latencyRatio.toFixed(2)}×** the time of its Yay calls alone (target ≤ ${MAX_LATENCY_RATIO}×: ${latencyRatio <= MAX_LATENCY_RATIO ? 'met' : 'not met'}). ` +
      `Best share of the allowed rate: **${(100 * best).toFixed(0)}%** (target ≥ ${100 * MIN_SHARE_OF_ALLOWED}%: ${best >= MIN_SHARE_OF_ALLOWED ? 'met' : 'not met'}); ` +
      `${clean ? 'none failed, unfinished or duplicated' : 'some failed, unfinished or duplicated: see the table'}. ` +
      `DynamoDB calls per order by the workflow, one in flight: **${workflowCalls.toFixed(2)}** (target ≤ ${MAX_TABLE_CALLS}: ${workflowCalls <= MAX_TABLE_CALLS ? 'met' : 'not met'}); Yay calls ${unloaded?.callsPerOrder.toFixed(2)} against a floor of ${YAY_FLOOR} (create, transfer).`,
  ].join('\n');
}
