/**
 * `npm run bench -- cost`: what 1,000 paid orders cost on AWS at list prices, from counts measured in one local run
 * (method: tools/bench/COST.md; prices: tools/bench/prices-eu-west-2.ts; arithmetic: tools/bench/cost-model.ts), and
 * the fixed monthly cost beside it, with and without the fixed egress IP.
 *
 * Local mode runs the synthesized template in this process, so the meters sit on its seams without touching the
 * handlers: every Lambda invocation (LocalLambda), every PutEvents entry (the bus), every state the engine enters,
 * every DynamoDB call (the table module's consumed-capacity counter), every Secrets Manager call and Yay request
 * the handlers send, and every log line they write (Powertools JSON at INFO, EMF on, as deployed).
 *
 * This file runs the phases (the orders, then each schedule once) and hands what they counted to the report. The
 * parts: cost-settings.ts (the run's settings), cost-deployment.ts (what the synthesized templates configure and bill
 * by the month), cost-phase.ts (what a phase counted), cost-meters.ts and cost-table-meter.ts (the meters),
 * cost-aws-logs.ts (the log lines AWS writes and local mode does not), cost-orders.ts (the orders and their webhooks),
 * cost-pricing.ts (counts into dollars), cost-report.ts (the markdown section).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, startLocal } from '../../local/runtime/start-local';
import type { Millis } from '../../shared/domain/credit';
import { soakOrderKey } from '../soak/webhook-common';
import { SOAK_CATALOG } from '../soak/webhooks';
import { synthesize } from './cost-deployment';
import { installMeters, meterStates } from './cost-meters';
import { driveOrders, planOrders } from './cost-orders';
import { type Meter, meter, startPhase } from './cost-phase';
import { measureInit } from './cost-pricing';
import { report } from './cost-report';
import { ORDERS, SECRETS, YAY_LATENCY_MS } from './cost-settings';

/** The benchmark: synthesize, time the bundles' init, meter local mode through the phases, report. */
export default async function cost(): Promise<string> {
  process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
  const deployment = synthesize(false);
  const withEgress = synthesize(true);
  const init = await measureInit();
  installMeters(deployment.indexes);

  const dataDir = mkdtempSync(join(tmpdir(), 'yay-bench-cost-'));
  let rt: LocalRuntime | undefined;
  try {
    rt = await startLocal({
      env: { ...SECRETS, CDK_CONTEXT_JSON: JSON.stringify({ 'provisioning:creditCatalog': SOAK_CATALOG }) },
      overrides: { port: 0, dataDir, maxWaitSeconds: 1, logFormat: 'json' },
      print: () => undefined,
      schedules: false,
      sandbox: {
        resellerBalance: (ORDERS * 100_000) as Millis,
        faults: { latencyMs: YAY_LATENCY_MS },
      },
    });
    // EMF as deployed: local mode turns Powertools metrics off (no CloudWatch here); the bench counts their bytes.
    const { metrics } = await import('../../shared/observability');
    // `disabled` is private in the types: Powertools reads it at each flush, and offers no setter.
    (metrics as unknown as { disabled: boolean }).disabled = false;
    meterStates(rt);

    startPhase();
    const run = await driveOrders(rt, deployment);
    const orders = meter;

    const scheduled = new Map<string, Meter>();
    for (const schedule of deployment.schedules) {
      startPhase();
      await rt.runSchedule(schedule.functionName);
      await rt.idle(30_000);
      scheduled.set(schedule.functionName, meter);
    }
    startPhase();
    const states = new Map((await rt.store.listOrders()).map((order) => [order.orderKey, order.state]));
    const { orders: planned } = planOrders(ORDERS);
    run.fulfilled = planned.filter((order) => states.get(soakOrderKey(order)) === 'fulfilled').length;

    return report(run, orders, scheduled, deployment, withEgress, init);
  } finally {
    await rt?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
