/**
 * The chaos soak (issue 12): hundreds of orders over the three providers and every payment path, sent to local
 * mode over HTTP while the Yay sandbox injects faults and local mode is SIGKILLed and restarted on its data dir;
 * then the invariants, checked from the sandbox's own ledger. One harness, two entry points:
 * `npm run bench -- soak` (tools/bench/soak.ts) and the shorter run in `npm test` (test/e2e/soak.test.ts).
 * This file is the run loop: the processes started, the scripts sent while faults and kills run, settling, the
 * checks and the secrets scan. Method notes: tools/soak/README.md.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_STORE_FRONT } from '../../local/yay-sandbox/server';
import { isTerminal, type OrderView } from '../../shared/store';
import { RESELLER_BALANCE, SEALED_PASSWORD, SOAK_SECRETS, YAY_RESELLER, YAY_USER } from './environment';
import { emptyFigures, type SoakFigures } from './figures';
import { indexDrift } from './index-drift';
import { failuresOf, judge, matches } from './judge';
import { LocalModeProcess } from './local-mode-process';
import { compareWithOps, readThroughOps } from './ops-view';
import { planSoak } from './plan';
import type { FaultPhase, PlannedOrder, SoakParameters, SoakPlan } from './plan-types';
import { formatReport } from './report';
import { startSandboxProcess } from './sandbox-process';
import { countSecrets } from './secret-scan';
import { DeliveryCounter, scriptRunner, sleep } from './sending';
import { soakOrderKey } from './webhook-common';
import { SOAK_CATALOG } from './webhooks';

export interface SoakOptions {
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Keep the run's directory (data dir and every child's log) even when nothing failed. */
  keepRunDir?: boolean;
}

export interface SoakResult {
  plan: SoakPlan;
  figures: SoakFigures;
  /** One line per invariant broken; empty when the run is clean. */
  failures: string[];
  /** The markdown table of the figures. */
  report: string;
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

    const runScript = scriptRunner({
      plan,
      local,
      figures,
      secrets,
      counter,
      sent,
      cutShort,
      deadline,
      sendDeadline,
      gateTimeoutMs,
    });

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
