/**
 * The chaos soak (issue 12): hundreds of orders over the three providers and every payment path, sent to local
 * mode over HTTP while the Yay sandbox injects faults and local mode is SIGKILLed and restarted on its data dir;
 * then the invariants, checked from the sandbox's own ledger. One harness, two entry points:
 * `npm run bench -- soak` (tools/bench/soak.ts) and the shorter run in `npm test` (test/e2e/soak.test.ts).
 * Method notes: tools/soak/README.md.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_STORE_FRONT } from '../../local/yay-sandbox/server';
import { runOps } from '../../ops/cli';
import { describeCredit } from '../../shared/domain/credit';
import { paymentKey } from '../../shared/domain/keys';
import { isTerminal, type OrderView, TableSchema } from '../../shared/store';
import { LocalModeProcess } from './local-mode-process';
import { planSoak } from './plan';
import {
  type EventRole,
  type ExpectedEnd,
  type FaultPhase,
  type Gate,
  PaymentPaths,
  type PlannedBuyer,
  type PlannedOrder,
  type SoakParameters,
  type SoakPlan,
} from './plan-types';
import { type SandboxLedgerState, startSandboxProcess } from './sandbox-process';
import { countSecrets } from './secret-scan';
import { type SoakWebhook, soakOrderKey } from './webhook-common';
import { buildWebhook, SOAK_CATALOG } from './webhooks';

/**
 * Obvious fakes for every secret local mode is given. The run fails if any of them (or the naming key local
 * mode generates, or a sealed store password) shows up in anything a child printed or in the report.
 */
export const SOAK_SECRETS = {
  STRIPE_WEBHOOK_SECRET: 'whsec_soak-test-only-not-a-secret',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-soak-test-only-not-a-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'woocommerce-soak-test-only-not-a-secret',
  YAY_PASSWORD: 'yay-soak-test-only-not-a-secret',
} as const;

const YAY_RESELLER = 'soak-reseller';
const YAY_USER = 'soak-user';
/** Enough for every order several times over: a too-low balance is a different soak. */
const RESELLER_BALANCE = '1000000.000';
/** A sealed store password (`shared/yay/password-box.ts`), which must never be printed either. */
const SEALED_PASSWORD = /local1\.[A-Za-z0-9_-]{20,}/;

/** An order's end as the judge sees it: its plan, its item, and whether the sweep's index still holds it. */
export interface OrderEnd {
  order: PlannedOrder;
  found: OrderView;
  inOpenIndex: boolean;
  /** Some index entry of the order's partition is out of step with its item (see `indexDrift`). */
  indexDrifted: boolean;
}

/** What of an order's run a known finding explains: its end, its being stuck, its absence from `ops attention`, or
 * a gate of its script never reached. */
type Explains = 'end' | 'stuck' | 'attention' | 'gate';

/**
 * Production bugs the soak found and left unfixed, each with an `it.fails` reproduction: how to recognise an order
 * that hit one, and what of its end the bug explains (its end state, or its being stuck). Such an order is still
 * counted (in its row and under its finding) but does not fail the run, so a run fails on anything new. Remove an
 * entry once its reproduction passes.
 */
export const KNOWN_FINDINGS: ReadonlyArray<{
  id: string;
  what: string;
  reproduction: string;
  hit(end: OrderEnd): boolean;
  /** What of the order's end the bug explains: its end state, its being stuck, its missing from `ops attention`. */
  explains: ReadonlyArray<Explains>;
}> = [
  // Empty: the three the money soak found (a refund the credit already left out, delivered again, flagged after
  // credit; a payment after a refund by PaymentIntent not resuming the order; an order arriving after its payment was
  // parked order_missing never started) are fixed, their reproductions in test/e2e/soak-findings.test.ts now plain
  // tests. A new finding goes here with its reproduction.
];

export interface SoakOptions {
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Keep the run's directory (data dir and every child's log) even when nothing failed. */
  keepRunDir?: boolean;
}

/** One payment path's orders in the report: what their money owes against how they ended. */
export interface PathFigures {
  orders: number;
  sent: number;
  /** By what the money owes (`Owed.label`). */
  owed: Record<string, number>;
  /** By end: state, and the attention it carries. */
  ended: Record<string, number>;
  /** Sent orders that ended as their money says, with exactly the credit it owes. */
  asOwed: number;
  /** …of them, orders whose payment window closed before the payment came (an accepted alternative). */
  windowClosed: number;
}

/** Everything measured, for the report and the test's assertions. */
export interface SoakFigures {
  seed: number;
  orders: {
    planned: number;
    sent: number;
    byProvider: Record<string, number>;
    byPath: Record<string, number>;
  };
  buyers: { total: number; repeat: number };
  deliveries: {
    accepted: number;
    attempts: number;
    retriedAfterFailure: number;
    duplicates: number;
    concurrent: number;
    late: number;
    outOfOrder: number;
    /** Refunds delivered again after the credit that took them into account moved. */
    restated: number;
    rejected: Array<{ order: string; role: EventRole; status: number; body: string }>;
    orderKeyMismatches: string[];
  };
  kills: { planned: number; done: number; restarts: number; crashes: string[]; cleanStopCode: number | null };
  faults: { injected: Record<string, number>; phases: number };
  outcomes: { states: Record<string, number>; attention: Record<string, number> };
  credits: {
    doubleCredited: string[];
    /** Orders whose money owes credit, ended where it should have moved, with none in the ledger. */
    missing: string[];
    /** Orders with credit in the ledger their money does not owe (nothing owed, or a person still asked). */
    forbidden: string[];
    /** Orders credited once, but another amount than their money owes. */
    wrongAmount: string[];
    unexplainedTransfers: number;
    transfers: number;
    ledgerBalanced: boolean;
    /**
     * Σ of what the sent orders' money owes as they ended (thousandths: an accepted alternative's credit, else what the
     * money says) and Σ of what the ledger moved for them.
     */
    owedMillis: number;
    movedMillis: number;
  };
  /** Per payment path: orders, what their money owes, how they ended, how many ended as owed. */
  paths: Record<string, PathFigures>;
  customers: { total: number; duplicateBuyers: string[]; unknown: number };
  lostOrders: string[];
  stuckOrders: Array<{ order: string; state: string; finding?: string }>;
  /** Index entries out of step with the items they index (dynalite under SIGKILL), per index. */
  indexDrift: Record<string, { missing: string[]; extra: string[] }>;
  /** Orders waiting for a person without a reason and the command that resolves it, or missing from `ops attention`. */
  attentionWithoutReason: Array<{ order: string; state: string; finding?: string }>;
  /** Orders whose state `ops list` shows otherwise than the table (or not at all). */
  opsDisagreements: string[];
  /** Bytes of child output (and the report) scanned for secrets. */
  bytesScanned: number;
  unexpectedEnds: Array<{
    order: string;
    path: string;
    state: string;
    attention?: string;
    expected: string;
    finding?: string;
  }>;
  /** Orders that hit a {@link KNOWN_FINDINGS} bug, by finding id. */
  knownFindings: Record<string, string[]>;
  gateTimeouts: Array<{ order: string; gate: Gate; finding?: string }>;
  secretsInOutput: number;
  /** Calls local mode denied a function (its IAM enforcement): the soak's flows need none. */
  accessDenials: number;
  wallSeconds: number;
  /** Where the data dir and logs are, when kept. */
  runDir?: string;
}

export interface SoakResult {
  plan: SoakPlan;
  figures: SoakFigures;
  /** One line per invariant broken; empty when the run is clean. */
  failures: string[];
  /** The markdown table of the figures. */
  report: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** POSTs one delivery; resolves with the status and body, rejects on a network error or after 15 s. */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    });
    req.setTimeout(15_000, () => req.destroy(new Error('delivery timed out')));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Counts answered deliveries and lets the kill schedule wait for a number of them. */
class DeliveryCounter {
  accepted = 0;
  private readonly waiters: Array<{ at: number; resolve: () => void }> = [];
  add(): void {
    this.accepted += 1;
    for (const waiter of [...this.waiters]) {
      if (this.accepted >= waiter.at) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
  reached(at: number): Promise<void> {
    if (this.accepted >= at) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }
}

/** Runs the soak of `parameters` and checks its invariants. Stops by itself within `timeBoundMs`. */
export async function runSoak(parameters: SoakParameters, options: SoakOptions = {}): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const plan = planSoak(parameters);
  const started = Date.now();
  const deadline = started + parameters.timeBoundMs;
  // Sending gets most of the bound; settling, the last restart and the checks the rest.
  const sendDeadline = started + parameters.timeBoundMs * 0.6;
  const gateTimeoutMs = Math.max(30_000, parameters.maxWaitSeconds * 6_000);

  const runDir = await mkdtemp(join(tmpdir(), 'yay-soak-'));
  const dataDir = join(runDir, 'data');
  const logDir = join(runDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const sandboxLog = join(logDir, 'yay-sandbox.log');
  const localLog = join(logDir, 'local-mode.log');
  const opsLog = join(logDir, 'ops.log');

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    YAY_RESELLER,
    YAY_USER,
    YAY_PASSWORD: SOAK_SECRETS.YAY_PASSWORD,
    YAY_STORE_FRONT: DEFAULT_STORE_FRONT.uuid,
  };
  const figures = emptyFigures(plan);

  const sandbox = await startSandboxProcess({ env, resellerBalance: RESELLER_BALANCE, logFile: sandboxLog });
  const local = new LocalModeProcess({
    dataDir,
    logFile: localLog,
    env: {
      ...env,
      ...SOAK_SECRETS,
      YAY_API_BASE_URL: sandbox.url,
      LOCAL_MAX_WAIT_SECONDS: String(parameters.maxWaitSeconds),
      CDK_CONTEXT_JSON: JSON.stringify({ 'provisioning:creditCatalog': SOAK_CATALOG }),
    },
  });
  const secrets = {
    stripe: SOAK_SECRETS.STRIPE_WEBHOOK_SECRET,
    shopify: SOAK_SECRETS.SHOPIFY_WEBHOOK_SECRET,
    woocommerce: SOAK_SECRETS.WOOCOMMERCE_WEBHOOK_SECRET,
  };
  let failed = true;
  try {
    await local.start();
    log(
      `soak seed ${parameters.seed}: ${plan.orders.length} orders, ${plan.plannedDeliveries} deliveries planned`,
    );

    const counter = new DeliveryCounter();
    const sent = new Set<number>();
    /** Orders whose script stopped at a gate: their end state is not judged (their credit still is). */
    const cutShort = new Set<number>();
    let sending = true;
    let restarting: Promise<void> | undefined;

    // Crashes (exits nobody asked for) are counted and the process started again, as a supervisor would.
    const supervise = async () => {
      while (sending) {
        if (!local.up && !restarting && local.crashes.length > figures.kills.crashes.length) {
          const crash = local.crashes[local.crashes.length - 1];
          figures.kills.crashes.push(`exit ${crash?.exit}`);
          log(`local mode exited by itself (${crash?.exit}); starting it again`);
          restarting = local.start();
          await restarting.catch(() => undefined);
          restarting = undefined;
        }
        await sleep(250);
      }
    };

    const deliver = async (order: PlannedOrder, role: EventRole, webhook: SoakWebhook): Promise<boolean> => {
      for (let attempt = 0; ; attempt += 1) {
        if (Date.now() > deadline - 60_000) return false;
        await Promise.race([local.whenUp(), sleep(5_000)]);
        const url = local.url;
        if (!url) continue;
        figures.deliveries.attempts += 1;
        try {
          const answer = await post(`${url}${webhook.path}`, webhook.body, webhook.headers(attempt));
          if (answer.status === 202) {
            counter.add();
            figures.deliveries.accepted += 1;
            sent.add(order.index);
            const key = (JSON.parse(answer.body) as { orderKey?: string }).orderKey;
            if (webhook.orderKey && key !== webhook.orderKey) {
              figures.deliveries.orderKeyMismatches.push(`${webhook.orderKey} answered as ${key}`);
            }
            return true;
          }
          if (answer.status < 500) {
            figures.deliveries.rejected.push({
              order: soakOrderKey(order),
              role,
              status: answer.status,
              body: answer.body.slice(0, 300),
            });
            return false;
          }
        } catch {
          // Refused or reset: local mode is down or going down. The store retries, as providers do.
        }
        figures.deliveries.retriedAfterFailure += 1;
        await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
      }
    };

    const hasFact = (order: OrderView | undefined, type: 'refund' | 'dispute') =>
      (order?.facts ?? []).some((fact) => fact.type === type);
    const gateMet = async (gate: Gate, planned: PlannedOrder): Promise<boolean> => {
      if (gate === 'refund_on_payment') {
        const ref = planned.paymentIntent;
        if (!ref) throw new Error(`order ${planned.index} waits on a payment it does not name`);
        const facts = await local.paymentFacts(paymentKey(planned.provider, 'default', ref));
        return (facts ?? []).some((fact) => fact.type === 'refund');
      }
      const order = await local.store?.getOrder(soakOrderKey(planned));
      if (!order) return false;
      switch (gate) {
        case 'recorded':
          return order.event !== undefined;
        case 'expired':
          return order.state === 'expired';
        case 'fulfilled':
          return order.state === 'fulfilled';
        case 'ended':
          return isTerminal(order.state);
        case 'refund_on_order':
          return hasFact(order, 'refund');
        case 'dispute_on_order':
          return hasFact(order, 'dispute');
      }
    };

    // A gate's time counts only while local mode is up: a kill and its restart (the process start, the bus's
    // redeliveries and the start-up sweep before its ready line: 15–25 s on two shared cores) pause the clock.
    const waitGate = async (order: PlannedOrder, gate: Gate): Promise<boolean> => {
      const hardStop = deadline - 60_000;
      let upMs = 0;
      let last = Date.now();
      while (Date.now() < hardStop && upMs < gateTimeoutMs) {
        if (!local.up) {
          await Promise.race([local.whenUp(), sleep(1_000)]);
          last = Date.now();
          continue;
        }
        try {
          if (await gateMet(gate, order)) return true;
        } catch {
          // Down or going down: look again once it is back.
        }
        await sleep(150);
        const now = Date.now();
        if (local.up) upMs += now - last;
        last = now;
      }
      return false;
    };

    const runScript = async (order: PlannedOrder) => {
      const webhooks = new Map<EventRole, SoakWebhook>();
      const webhookOf = (role: EventRole) => {
        let webhook = webhooks.get(role);
        if (!webhook) {
          webhook = buildWebhook(plan, order, role, secrets);
          webhooks.set(role, webhook);
        }
        return webhook;
      };
      let firstOfRole = new Set<EventRole>();
      for (const step of order.steps) {
        if (Date.now() > sendDeadline && step.do !== 'send') {
          cutShort.add(order.index);
          return;
        }
        if (step.do === 'pause') {
          await sleep(step.ms);
        } else if (step.do === 'await') {
          if (!(await waitGate(order, step.until))) {
            figures.gateTimeouts.push({ order: soakOrderKey(order), gate: step.until });
            // Waiting for an expiry that never came, the confirmation still goes (credited either way). Any
            // other gate guards what the oracle assumed: stop here, which leaves the oracle true.
            if (step.until !== 'expired') {
              cutShort.add(order.index);
              return;
            }
          }
        } else {
          const webhook = webhookOf(step.role);
          const repeat = firstOfRole.has(step.role);
          firstOfRole = new Set([...firstOfRole, step.role]);
          const results = step.concurrent
            ? await Promise.all(Array.from({ length: step.copies }, () => deliver(order, step.role, webhook)))
            : await (async () => {
                const out: boolean[] = [];
                for (let i = 0; i < step.copies; i += 1) {
                  if (i > 0) await sleep(50 + ((order.index * 37 + i * 101) % 250));
                  out.push(await deliver(order, step.role, webhook));
                }
                return out;
              })();
          const delivered = results.filter(Boolean).length;
          figures.deliveries.duplicates += Math.max(0, delivered - (repeat ? 0 : 1));
          if (step.concurrent) figures.deliveries.concurrent += delivered;
          if (step.tag === 'late') figures.deliveries.late += delivered;
          if (step.tag === 'out_of_order') figures.deliveries.outOfOrder += delivered;
          if (step.tag === 'restated') figures.deliveries.restated += delivered;
        }
      }
    };

    const kills = async () => {
      for (const kill of plan.kills) {
        await Promise.race([counter.reached(kill.afterDeliveries), until(() => !sending)]);
        if (!sending) return;
        await sleep(kill.delayMs);
        while (restarting) await restarting.catch(() => undefined);
        if (!local.up) continue;
        await local.kill();
        figures.kills.done += 1;
        log(`kill ${figures.kills.done}/${plan.kills.length} after ${counter.accepted} deliveries`);
        await sleep(kill.downMs);
        restarting = local.start();
        await restarting;
        restarting = undefined;
        figures.kills.restarts += 1;
      }
    };

    const until = async (condition: () => boolean) => {
      while (!condition()) await sleep(200);
    };

    const faultProgramme = async () => {
      while (sending) {
        for (const phase of plan.faultPhases) {
          if (!sending) break;
          await runPhase(phase);
        }
      }
    };
    const runPhase = async (phase: FaultPhase) => {
      const before = await sandbox.faultCounts().catch(() => ({}) as Record<string, number>);
      await sandbox.setFaults(phase.faults);
      figures.faults.phases += 1;
      if (phase.kinds.length > 0) log(`fault phase: ${phase.label} (${JSON.stringify(phase.faults)})`);
      const ends = Date.now() + phase.durationMs;
      const interrupts = ['dropNext', 'truncateNext', 'errorAfterApplyNext'] as const;
      const armed = interrupts.find((field) => phase.faults[field] !== undefined);
      while (sending && Date.now() < ends) {
        await sleep(250);
        if (armed) {
          // An interrupt phase is over once its interruptions fired.
          const spec = phase.faults[armed];
          const wanted = typeof spec === 'object' ? spec.count : 1;
          const now = await sandbox.faultCounts().catch(() => before);
          const kind = phase.kinds[0] ?? '';
          if ((now[kind] ?? 0) - ((before as Record<string, number>)[kind] ?? 0) >= wanted) break;
        }
      }
    };

    // Scripts in a pool of `concurrency`, in plan order.
    let next = 0;
    const worker = async () => {
      while (next < plan.orders.length && Date.now() < sendDeadline) {
        const order = plan.orders[next] as PlannedOrder;
        next += 1;
        await runScript(order);
      }
    };
    const background = [supervise(), kills(), faultProgramme()];
    await Promise.all(Array.from({ length: parameters.concurrency }, worker));
    sending = false;
    await Promise.all(background);
    while (restarting) await restarting.catch(() => undefined);
    if (!local.up) await local.start();
    await sandbox.setFaults({});
    log(
      `sending done after ${((Date.now() - started) / 1000).toFixed(0)} s: ${figures.deliveries.accepted} deliveries`,
    );

    // Settle, restart once more (the start-up sweep and the durable bus finish what a kill left), settle again.
    const sentOrders = plan.orders.filter((order) => sent.has(order.index));
    const settleBy = (share: number) => Date.now() + (deadline - 20_000 - Date.now()) * share;
    await settle(local, sentOrders, settleBy(0.5), cutShort);
    const stopped = await local.stop();
    figures.kills.cleanStopCode = stopped.code;
    await local.start();
    figures.kills.restarts += 1;
    const orders = await settle(local, sentOrders, settleBy(1), cutShort);
    const ledger = await sandbox.state();
    figures.faults.injected = { ...ledger.faultCounts };
    const opsView = await readThroughOps(dataDir, opsLog);
    const dynamo = local.dynamo;
    if (!dynamo) throw new Error('local mode went down before the checks');
    figures.indexDrift = await indexDrift(dynamo.client, dynamo.tableName);
    const inOpenIndex = new Set(
      (await (local.store as NonNullable<typeof local.store>).listOpen()).map((order) => order.orderKey),
    );

    const drifted = new Set(
      Object.values(figures.indexDrift)
        .flatMap((drift) => [...drift.missing, ...drift.extra])
        .flatMap((entry) => [...entry.matchAll(/ORDER#(\S+)/g)].map((match) => match[1] as string)),
    );
    const ends = judge(plan, figures, sent, cutShort, orders, ledger, inOpenIndex, drifted);
    compareWithOps(plan, figures, sent, orders, opsView, ends);
    failed = false;
    return await finish(plan, figures, {
      local,
      sandbox,
      runDir,
      dataDir,
      logs: [sandboxLog, localLog, opsLog],
      started,
      keep: options.keepRunDir,
    });
  } finally {
    if (failed) {
      await local.close().catch(() => undefined);
      await sandbox.stop().catch(() => undefined);
      log(`soak aborted; its data dir and logs are kept in ${runDir}`);
    }
  }
}

/** What an operator sees: `npm run ops -- list` and `attention`, through the CLI module, its output logged. */
async function readThroughOps(
  dataDir: string,
  logFile: string,
): Promise<{ states: Map<string, string>; attention: Set<string>; codes: number[] }> {
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: {} };
  const codes = [await runOps(['list', '--data-dir', dataDir], io)];
  const listed = lines.length;
  codes.push(await runOps(['attention', '--data-dir', dataDir], io));
  await writeFile(logFile, `${lines.join('\n')}\n`);
  const states = new Map<string, string>();
  for (const line of lines.slice(0, listed)) {
    const [key, state] = line.split('  ');
    if (key && state) states.set(key, state);
  }
  const attention = new Set<string>();
  const block = lines.slice(listed);
  block.forEach((line, at) => {
    // "<order>  <state>  <reason>  since …", then its message, then "    → <the command>".
    const key = line.startsWith(' ') ? undefined : line.split('  ')[0];
    if (key && block[at + 2]?.trim().startsWith('→ ')) attention.add(key);
  });
  return { states, attention, codes };
}

function compareWithOps(
  plan: SoakPlan,
  figures: SoakFigures,
  sent: ReadonlySet<number>,
  orders: Map<string, OrderView>,
  ops: { states: Map<string, string>; attention: Set<string>; codes: number[] },
  ends: ReadonlyMap<string, OrderEnd>,
): void {
  if (ops.codes.some((code) => code !== 0))
    figures.opsDisagreements.push(`ops exited ${ops.codes.join(', ')}`);
  for (const order of plan.orders) {
    if (!sent.has(order.index)) continue;
    const key = soakOrderKey(order);
    const found = orders.get(key);
    if (!found) continue;
    if (ops.states.get(key) !== found.state) {
      figures.opsDisagreements.push(
        `${key}: table ${found.state}, ops list ${ops.states.get(key) ?? 'absent'}`,
      );
    }
    const waiting = found.state === 'needs_attention' || found.state === 'failed';
    if (waiting && (!found.attention?.reason || !found.attention.action || !ops.attention.has(key))) {
      const end = ends.get(key);
      const finding = end && explainedBy(end, 'attention');
      figures.attentionWithoutReason.push({
        order: key,
        state: found.state,
        ...(finding ? { finding } : {}),
      });
    }
  }
}

/** The figures of a run of `plan` before anything happened. */
export function emptyFigures(plan: SoakPlan): SoakFigures {
  const figures: SoakFigures = {
    seed: plan.parameters.seed,
    orders: { planned: plan.orders.length, sent: 0, byProvider: {}, byPath: {} },
    buyers: { total: plan.buyers.length, repeat: 0 },
    deliveries: {
      accepted: 0,
      attempts: 0,
      retriedAfterFailure: 0,
      duplicates: 0,
      concurrent: 0,
      late: 0,
      outOfOrder: 0,
      restated: 0,
      rejected: [],
      orderKeyMismatches: [],
    },
    kills: { planned: plan.kills.length, done: 0, restarts: 0, crashes: [], cleanStopCode: null },
    faults: { injected: {}, phases: 0 },
    outcomes: { states: {}, attention: {} },
    credits: {
      doubleCredited: [],
      missing: [],
      forbidden: [],
      wrongAmount: [],
      unexplainedTransfers: 0,
      transfers: 0,
      ledgerBalanced: true,
      owedMillis: 0,
      movedMillis: 0,
    },
    paths: {},
    customers: { total: 0, duplicateBuyers: [], unknown: 0 },
    lostOrders: [],
    stuckOrders: [],
    indexDrift: {},
    attentionWithoutReason: [],
    opsDisagreements: [],
    bytesScanned: 0,
    unexpectedEnds: [],
    knownFindings: {},
    gateTimeouts: [],
    secretsInOutput: 0,
    accessDenials: 0,
    wallSeconds: 0,
  };
  const ordersOf = new Map<number, number>();
  for (const order of plan.orders) ordersOf.set(order.buyer, (ordersOf.get(order.buyer) ?? 0) + 1);
  figures.buyers.repeat = [...ordersOf.values()].filter((n) => n > 1).length;
  return figures;
}

/**
 * Waits until every sent order is terminal and looks as its plan expects (each order read from local mode's
 * table); or, when something does not, until local mode is quiet — no execution running (Step Functions'
 * ListExecutions on its stand-in) and the table unchanged — for five seconds; or until `by`. Returns the orders
 * last read.
 */
async function settle(
  local: LocalModeProcess,
  orders: PlannedOrder[],
  by: number,
  cutShort: ReadonlySet<number>,
): Promise<Map<string, OrderView>> {
  let last = new Map<string, OrderView>();
  let lastText = '';
  let stableSince = Date.now();
  while (Date.now() < by) {
    try {
      const listed = (await local.store?.listOrders()) ?? [];
      const byKey = new Map(listed.map((order) => [order.orderKey, order]));
      const text = JSON.stringify(listed.map((o) => [o.orderKey, o.state, o.updatedAt, o.attention?.reason]));
      if (text !== lastText) stableSince = Date.now();
      last = byKey;
      lastText = text;
      const allTerminal = orders.every((order) => {
        const found = byKey.get(soakOrderKey(order));
        return found !== undefined && isTerminal(found.state);
      });
      const asPlanned = orders.every(
        (order) => cutShort.has(order.index) || matches(order, byKey.get(soakOrderKey(order))),
      );
      if (allTerminal && asPlanned) return last;
      if ((await local.runningExecutions()) > 0) stableSince = Date.now();
      if (Date.now() - stableSince > 5_000) return last;
    } catch {
      // Down or busy: read again.
    }
    await sleep(500);
  }
  return last;
}

/**
 * The order's payment window closed before its payment came: the wait's timeout is on the order (Record outcome, or
 * the sweep, wrote `States.Timeout` when it expired it), or a person was asked before any payment was recorded (the
 * sweep parks an order past its window whose money only a person can judge, without expiring it).
 */
export function windowClosedFirst(found: OrderView): boolean {
  if (found.lastError?.Error === 'States.Timeout') return true;
  const since = found.attention?.since;
  return since !== undefined && (found.paidAt === undefined || since < found.paidAt);
}

/** The order's end is this expected one: its state, its attention, and (for an alternative) its condition. */
function endMatches(end: ExpectedEnd, found: OrderView): boolean {
  return (
    end.state === found.state &&
    (end.attention ?? undefined) === (found.attention?.reason ?? undefined) &&
    (end.when !== 'window_closed' || windowClosedFirst(found))
  );
}

/** The expected end the order's end matches, if any. */
export function matchedEnd(order: PlannedOrder, found: OrderView | undefined): ExpectedEnd | undefined {
  return found ? order.expected.find((end) => endMatches(end, found)) : undefined;
}

function matches(order: PlannedOrder, found: OrderView | undefined): boolean {
  return matchedEnd(order, found) !== undefined;
}

/** An end as the report names it: the state, and the attention it carries. */
const endLabel = (found: OrderView) =>
  found.attention ? `${found.state} + ${found.attention.reason}` : found.state;

/** A person is asked about the order (parked, failed, or flagged beside its state). */
const personAsked = (found: OrderView) => found.state === 'needs_attention' || found.state === 'failed';

/** The invariants, from the sandbox's ledger (credits, customers) and local mode's table (end states). */
export function judge(
  plan: SoakPlan,
  figures: SoakFigures,
  sent: ReadonlySet<number>,
  cutShort: ReadonlySet<number>,
  orders: Map<string, OrderView>,
  ledger: SandboxLedgerState,
  inOpenIndex: ReadonlySet<string>,
  drifted: ReadonlySet<string>,
): Map<string, OrderEnd> {
  const ends = new Map<string, OrderEnd>();
  figures.orders.sent = sent.size;
  for (const order of plan.orders) {
    figures.orders.byProvider[order.provider] = (figures.orders.byProvider[order.provider] ?? 0) + 1;
    figures.orders.byPath[order.path] = (figures.orders.byPath[order.path] ?? 0) + 1;
  }
  // Customers belong to buyers by their store user's e-mail (unique per buyer in the plan).
  const buyerByEmail = new Map(plan.buyers.map((buyer) => [buyer.email.toLowerCase(), buyer]));
  const customersOf = new Map<number, string[]>();
  const buyerOfCustomer = new Map<string, PlannedBuyer>();
  figures.customers.total = ledger.customers.length;
  for (const customer of ledger.customers) {
    const email = customer.users.map((user) => user.email?.toLowerCase()).find(Boolean);
    const buyer = email ? buyerByEmail.get(email) : undefined;
    if (!buyer) {
      figures.customers.unknown += 1;
      continue;
    }
    buyerOfCustomer.set(customer.uuid, buyer);
    customersOf.set(buyer.index, [...(customersOf.get(buyer.index) ?? []), customer.uuid]);
  }
  for (const [index, uuids] of customersOf) {
    const buyer = plan.buyers[index] as PlannedBuyer;
    if (uuids.length > 1)
      figures.customers.duplicateBuyers.push(`${buyer.email} (${uuids.length} customers)`);
  }

  // Each transfer names its order by buyer and amount: an order's catalog credit, or what its money owes when that is
  // less; the plan keeps every such amount distinct per buyer.
  const orderByBuyerAmount = new Map<string, PlannedOrder>();
  for (const order of plan.orders) {
    for (const amount of new Set([order.amount, ...order.expected.map((end) => end.credit)])) {
      if (amount <= 0) continue;
      const key = `${order.buyer}/${amount}`;
      const other = orderByBuyerAmount.get(key);
      if (other && other !== order) {
        throw new Error(
          `soak plan: orders ${other.index} and ${order.index} of one buyer may both move ${amount}`,
        );
      }
      orderByBuyerAmount.set(key, order);
    }
  }
  const credits = new Map<number, number[]>();
  figures.credits.transfers = ledger.transfers.length;
  let moved = 0;
  for (const transfer of ledger.transfers) {
    moved += transfer.amount;
    const buyer = buyerOfCustomer.get(transfer.customerUuid);
    const order = buyer ? orderByBuyerAmount.get(`${buyer.index}/${transfer.amount}`) : undefined;
    if (!order) {
      figures.credits.unexplainedTransfers += 1;
      continue;
    }
    credits.set(order.index, [...(credits.get(order.index) ?? []), transfer.amount]);
  }
  const start = Number(RESELLER_BALANCE.replace('.', ''));
  const held = ledger.customers.reduce((sum, customer) => sum + customer.balance, 0);
  figures.credits.ledgerBalanced = start - ledger.resellerBalance === moved && moved === held;

  for (const order of plan.orders) {
    const key = soakOrderKey(order);
    const amounts = credits.get(order.index) ?? [];
    const credit = amounts.reduce((sum, amount) => sum + amount, 0);
    const path = pathFigures(figures, order.path);
    path.orders += 1;
    if (amounts.length > 1) {
      figures.credits.doubleCredited.push(
        `${key} (${order.path}, ${amounts.length}×: ${amounts.join(' + ')})`,
      );
    }
    if (!sent.has(order.index)) {
      if (credit > 0) figures.credits.forbidden.push(`${key} (${order.path}, never sent, ${credit})`);
      continue;
    }
    path.sent += 1;
    path.owed[order.owed.label] = (path.owed[order.owed.label] ?? 0) + 1;
    const primary = order.expected[0] as ExpectedEnd;
    const found = orders.get(key);
    const matched = matchedEnd(order, found);
    // Owed as the order ended: an accepted alternative (a person asked once the window closed) owes nothing yet.
    figures.credits.owedMillis += (matched ?? primary).credit;
    figures.credits.movedMillis += credit;
    // The credit the ledger must show: what the matched end says; for a script cut short, any end's (or none); for an
    // end nobody planned, what the money owes, or nothing while a person is asked (the end is reported apart).
    const allowed = matched
      ? [matched.credit]
      : cutShort.has(order.index)
        ? [0, ...order.expected.map((end) => end.credit)]
        : found && personAsked(found)
          ? [0]
          : [primary.credit];
    const creditOk = amounts.length <= 1 && allowed.includes(credit);
    if (amounts.length <= 1 && !creditOk) {
      const owes = allowed.map(String).join(' or ');
      const line = `${key} (${order.path}, ${order.owed.label}: owes ${owes}, ledger ${credit}${found ? `, ${endLabel(found)}` : ''})`;
      if (allowed.every((amount) => amount === 0)) figures.credits.forbidden.push(line);
      else if (credit === 0) figures.credits.missing.push(line);
      else figures.credits.wrongAmount.push(line);
    }
    if (!found) {
      figures.lostOrders.push(key);
      continue;
    }
    const ended = endLabel(found);
    path.ended[ended] = (path.ended[ended] ?? 0) + 1;
    if (matched && creditOk) {
      path.asOwed += 1;
      if (matched.when === 'window_closed') path.windowClosed += 1;
    }
    figures.outcomes.states[found.state] = (figures.outcomes.states[found.state] ?? 0) + 1;
    if (found.attention) {
      const reason = `${found.attention.reason}${found.state === 'needs_attention' ? '' : ` (on ${found.state})`}`;
      figures.outcomes.attention[reason] = (figures.outcomes.attention[reason] ?? 0) + 1;
    }
    const end: OrderEnd = { order, found, inOpenIndex: inOpenIndex.has(key), indexDrifted: drifted.has(key) };
    ends.set(key, end);
    for (const finding of KNOWN_FINDINGS.filter((known) => known.hit(end))) {
      figures.knownFindings[finding.id] = [...(figures.knownFindings[finding.id] ?? []), key];
    }
    const explaining = (what: 'end' | 'stuck') => explainedBy(end, what);
    if (!isTerminal(found.state)) {
      const finding = explaining('stuck');
      figures.stuckOrders.push({ order: key, state: found.state, ...(finding ? { finding } : {}) });
      continue;
    }
    if (!cutShort.has(order.index) && !matched) {
      const finding = explaining('end');
      figures.unexpectedEnds.push({
        order: key,
        path: order.path,
        state: found.state,
        ...(found.attention ? { attention: found.attention.reason } : {}),
        expected: order.expected
          .map(
            (expected) =>
              `${expected.attention ? `${expected.state}+${expected.attention}` : expected.state}` +
              `${expected.when ? ` (${expected.when})` : ''}`,
          )
          .join(' | '),
        ...(finding ? { finding } : {}),
      });
    }
  }
  for (const timeout of figures.gateTimeouts) {
    const end = ends.get(timeout.order);
    const finding = end && explainedBy(end, 'gate');
    if (finding) timeout.finding = finding;
  }
  return ends;
}

function pathFigures(figures: SoakFigures, path: string): PathFigures {
  let row = figures.paths[path];
  if (!row) {
    row = { orders: 0, sent: 0, owed: {}, ended: {}, asOwed: 0, windowClosed: 0 };
    figures.paths[path] = row;
  }
  return row;
}

/** The id of the first known finding that the order's end shows and that explains `what` of it. */
function explainedBy(end: OrderEnd, what: Explains): string | undefined {
  return KNOWN_FINDINGS.find((finding) => finding.explains.includes(what) && finding.hit(end))?.id;
}

async function finish(
  plan: SoakPlan,
  figures: SoakFigures,
  run: {
    local: LocalModeProcess;
    sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
    runDir: string;
    dataDir: string;
    logs: string[];
    started: number;
    keep: boolean | undefined;
  },
): Promise<SoakResult> {
  // The naming key is a secret too; read it before anything is removed.
  const namingKey = readFileSync(join(run.dataDir, 'naming-key'), 'utf8').trim();
  await run.local.stop();
  await run.local.close();
  await run.sandbox.stop();
  figures.wallSeconds = (Date.now() - run.started) / 1000;

  const secretValues = [...Object.values(SOAK_SECRETS), namingKey];
  let report = formatReport(plan, figures);
  const reportFile = join(run.runDir, 'report.md');
  await writeFile(reportFile, report);
  let hits = 0;
  for (const file of [...run.logs, reportFile]) {
    hits += await countSecrets(file, secretValues, [SEALED_PASSWORD]);
    figures.bytesScanned += (await stat(file)).size;
  }
  figures.secretsInOutput = hits;
  // Local mode's JSON line for a denied call (counted like a secret: occurrences of the text, chunk-safe).
  for (const file of run.logs)
    figures.accessDenials += await countSecrets(file, ['"message":"access denied"']);
  const failures = failuresOf(plan, figures);
  if (failures.length > 0 || run.keep) figures.runDir = run.runDir;
  report = formatReport(plan, figures);
  if (figures.runDir === undefined) rmSync(run.runDir, { recursive: true, force: true });
  else await writeFile(reportFile, report);
  return { plan, figures, failures, report };
}

/** Every invariant the issue names, one line per one broken. */
export function failuresOf(plan: SoakPlan, figures: SoakFigures): string[] {
  const failures: string[] = [];
  const list = (items: readonly unknown[]) =>
    items
      .slice(0, 10)
      .map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
      .join('; ') + (items.length > 10 ? `; … ${items.length - 10} more` : '');
  const check = (what: string, items: readonly unknown[]) => {
    if (items.length > 0) failures.push(`${what}: ${items.length} — ${list(items)}`);
  };
  check('orders credited more than once', figures.credits.doubleCredited);
  check('orders whose money owes credit, never credited', figures.credits.missing);
  check('credit the money does not owe (nothing owed, or a person still asked)', figures.credits.forbidden);
  check('orders credited another amount than their money owes', figures.credits.wrongAmount);
  if (figures.credits.unexplainedTransfers > 0) {
    failures.push(`ledger transfers matching no order: ${figures.credits.unexplainedTransfers}`);
  }
  if (!figures.credits.ledgerBalanced)
    failures.push('the ledger does not balance (reseller vs customers vs transfers)');
  check('buyers with more than one Yay customer', figures.customers.duplicateBuyers);
  if (figures.customers.unknown > 0)
    failures.push(`Yay customers of no planned buyer: ${figures.customers.unknown}`);
  check('orders sent but not recorded (lost)', figures.lostOrders);
  const unexplained = <T extends { finding?: string }>(items: T[]) => items.filter((item) => !item.finding);
  check('orders in neither a terminal state nor needs_attention (stuck)', unexplained(figures.stuckOrders));
  check(
    'orders waiting for a person without a reason, or not listed by ops attention',
    unexplained(figures.attentionWithoutReason),
  );
  check('orders ops list shows otherwise than the table', figures.opsDisagreements);
  check('orders ending otherwise than planned', unexplained(figures.unexpectedEnds));
  check('deliveries refused (a harness bug)', figures.deliveries.rejected);
  check('deliveries answered with another order key', figures.deliveries.orderKeyMismatches);
  check('gates never reached', unexplained(figures.gateTimeouts));
  check('local mode exits nobody asked for', figures.kills.crashes);
  if (figures.kills.done < plan.kills.length) {
    failures.push(`kills done: ${figures.kills.done} of ${plan.kills.length} planned`);
  }
  if (figures.kills.cleanStopCode !== 0)
    failures.push(`local mode's SIGTERM stop exited ${figures.kills.cleanStopCode}`);
  if (figures.orders.sent < plan.orders.length) {
    failures.push(
      `orders sent: ${figures.orders.sent} of ${plan.orders.length} (the time bound cut sending short)`,
    );
  }
  if (figures.secretsInOutput > 0) failures.push(`secrets found in the output: ${figures.secretsInOutput}`);
  if (figures.accessDenials > 0) {
    failures.push(
      `calls denied by the template's IAM grants: ${figures.accessDenials} (grep the log for "access denied")`,
    );
  }
  return failures;
}

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
const describe = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none';

/** " (n of them known findings)" when some entries are explained by a known finding. */
function known(items: ReadonlyArray<{ finding?: string }>): string {
  const n = items.filter((item) => item.finding).length;
  return n > 0 ? ` (${n} of them a known finding)` : '';
}

/**
 * Every index entry the table's items imply against every entry the indexes hold: `missing` are items an index
 * should list and does not, `extra` entries for items that no longer carry the key (or no longer exist).
 */
export async function indexDrift(
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, { missing: string[]; extra: string[] }>> {
  const doc = DynamoDBDocumentClient.from(client);
  const scan = async (indexName?: string) => {
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateScan(
      { client: doc },
      { TableName: tableName, ...(indexName ? { IndexName: indexName } : {}), ConsistentRead: !indexName },
    )) {
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    }
    return items;
  };
  const base = await scan();
  const indexes = [
    {
      name: TableSchema.openOrdersIndex.name,
      keys: [TableSchema.openOrdersIndex.partitionKey, TableSchema.openOrdersIndex.sortKey],
    },
    {
      name: TableSchema.owedIndex.name,
      keys: [TableSchema.owedIndex.partitionKey, TableSchema.owedIndex.sortKey],
    },
    {
      name: TableSchema.customerTransfersIndex.name,
      keys: [TableSchema.customerTransfersIndex.partitionKey],
    },
  ];
  const drift: Record<string, { missing: string[]; extra: string[] }> = {};
  for (const index of indexes) {
    const entry = (item: Record<string, unknown>) =>
      [...index.keys, TableSchema.partitionKey, TableSchema.sortKey]
        .map((key) => String(item[key]))
        .join(' | ');
    const expected = new Set(base.filter((item) => index.keys.every((key) => item[key] != null)).map(entry));
    const actual = new Set((await scan(index.name)).map(entry));
    const missing = [...expected].filter((key) => !actual.has(key));
    const extra = [...actual].filter((key) => !expected.has(key));
    if (missing.length + extra.length > 0) drift[index.name] = { missing, extra };
  }
  return drift;
}

/** The figures as docs/benchmarks.md shows them: one markdown table, then the orders by path and provider. */
export function formatReport(plan: SoakPlan, figures: SoakFigures): string {
  const p = plan.parameters;
  const d = figures.deliveries;
  const states = { ...figures.outcomes.states };
  const fulfilled = states.fulfilled ?? 0;
  const needsAttention = states.needs_attention ?? 0;
  delete states.fulfilled;
  delete states.needs_attention;
  const injected = { ...figures.faults.injected };
  const abandoned = injected.abandoned ?? 0;
  delete injected.abandoned;
  const rows: [string, string][] = [
    [
      'seed · parameters',
      `${p.seed} · ${p.orders} orders, ${p.buyers} buyers, ${p.kills} kills, concurrency ${p.concurrency}, LOCAL_MAX_WAIT_SECONDS ${p.maxWaitSeconds}, fault phases × ${p.faultPhaseScale ?? 1}, bound ${Math.round(p.timeBoundMs / 1000)} s`,
    ],
    [
      'orders (sent / planned)',
      `${figures.orders.sent} / ${figures.orders.planned} — ${describe(figures.orders.byProvider)}`,
    ],
    ['payment paths', describe(figures.orders.byPath)],
    ['buyers (repeat buyers)', `${figures.buyers.total} (${figures.buyers.repeat})`],
    ['deliveries answered 2xx', String(d.accepted)],
    [
      '… duplicates / concurrent / late / out of order / refunds restated after credit',
      `${d.duplicates} / ${d.concurrent} / ${d.late} / ${d.outOfOrder} / ${d.restated}`,
    ],
    ['… attempts refused or reset (kills), retried', String(d.retriedAfterFailure)],
    [
      'kills (SIGKILL) · restarts',
      `${figures.kills.done} · ${figures.kills.restarts} (the last a clean SIGTERM stop, exit ${figures.kills.cleanStopCode})`,
    ],
    [
      'faults injected',
      `${sum(injected)} — ${describe(injected)}; plus ${abandoned} calls abandoned by their killed caller (applied anyway); ${figures.faults.phases} fault phases`,
    ],
    ['fulfilled', String(fulfilled)],
    [
      'needs attention (why)',
      `${needsAttention} — ${describe(Object.fromEntries(Object.entries(figures.outcomes.attention).filter(([k]) => !k.includes(' (on '))))}`,
    ],
    [
      'attention on a fulfilled order',
      describe(
        Object.fromEntries(Object.entries(figures.outcomes.attention).filter(([k]) => k.includes(' (on '))),
      ),
    ],
    ['other outcomes', describe(states)],
    ['Yay transfers · customers', `${figures.credits.transfers} · ${figures.customers.total}`],
    [
      'credit owed as the orders ended · moved (sent orders)',
      `${describeCredit(figures.credits.owedMillis)} · ${describeCredit(figures.credits.movedMillis)}`,
    ],
    ['double credits', String(figures.credits.doubleCredited.length)],
    ['missing credits', String(figures.credits.missing.length)],
    ['credit the money does not owe', String(figures.credits.forbidden.length)],
    ['credited another amount than owed', String(figures.credits.wrongAmount.length)],
    ['transfers matching no order', String(figures.credits.unexplainedTransfers)],
    ['duplicate customers (buyers with more than one)', String(figures.customers.duplicateBuyers.length)],
    [
      'lost orders · stuck orders',
      `${figures.lostOrders.length} · ${figures.stuckOrders.length}${known(figures.stuckOrders)}`,
    ],
    [
      'gates never reached (script cut short)',
      `${figures.gateTimeouts.length}${known(figures.gateTimeouts)}`,
    ],
    [
      'orders ending otherwise than planned',
      `${figures.unexpectedEnds.length}${known(figures.unexpectedEnds)}`,
    ],
    [
      'known production bugs hit (orders)',
      KNOWN_FINDINGS.map((f) => `${f.id} ${figures.knownFindings[f.id]?.length ?? 0}`).join(', '),
    ],
    [
      "index entries out of step with their items (local mode's dynalite)",
      describe(
        Object.fromEntries(
          Object.entries(figures.indexDrift).map(([index, drift]) => [
            index,
            drift.missing.length + drift.extra.length,
          ]),
        ),
      ),
    ],
    [
      'needs attention without a reason · ops list disagreeing',
      `${figures.attentionWithoutReason.length}${known(figures.attentionWithoutReason)} · ${figures.opsDisagreements.length}`,
    ],
    [
      'secrets found in the output',
      `${figures.secretsInOutput} (${(figures.bytesScanned / 1e6).toFixed(1)} MB of child output, ops output and this report scanned)`,
    ],
    ['calls denied by IAM', String(figures.accessDenials)],
    ['wall time', `${figures.wallSeconds.toFixed(0)} s`],
  ];
  const lines = ['| figure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
  lines.push(
    '',
    '| path | orders (sent) | what the money owes | ended | as owed (of them, window closed first) |',
    '|---|---|---|---|---|',
  );
  for (const path of PaymentPaths) {
    const row = figures.paths[path];
    if (!row) continue;
    lines.push(
      `| ${path} | ${row.orders} (${row.sent}) | ${describe(row.owed)} | ${describe(row.ended)} | ${row.asOwed} (${row.windowClosed}) |`,
    );
  }
  const drifted = Object.entries(figures.indexDrift).flatMap(([index, drift]) => [
    ...drift.missing.map((entry) => `${index} lacks \`${entry}\``),
    ...drift.extra.map((entry) => `${index} still holds \`${entry}\``),
  ]);
  if (drifted.length > 0) lines.push('', `Index drift: ${drifted.slice(0, 5).join('; ')}.`);
  if (figures.runDir) lines.push('', `Data dir and logs kept in \`${figures.runDir}\`.`);
  return lines.join('\n');
}
