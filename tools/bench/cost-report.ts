/**
 * The cost benchmark's markdown section: the per-order table (steady stream and trickle, against the target), the
 * fixed monthly table with and without the fixed egress IP, and the measured detail per function, logs, metrics,
 * DynamoDB and Secrets Manager.
 */
import { FunctionNames } from '../../infra/names';
import { median } from './bundles';
import type { Deployment } from './cost-deployment';
import { dollars, formatUsd } from './cost-model';
import type { RunFigures } from './cost-orders';
import { Meter } from './cost-phase';
import { type InitTimes, lambdaFigures, orderLines, price, scheduleMonthly } from './cost-pricing';
import { DUPLICATE_EVERY, HOURS_PER_MONTH, IN_FLIGHT, SHOPIFY_SHARE, YAY_LATENCY_MS } from './cost-settings';
import { PriceTable } from './prices-eu-west-2';

/** `OrdersReceived (provider=stripe)`: a metric series without its namespace and the service dimension. */
function metricLabel(key: string): string {
  const [, name, dims = ''] = key.split('/');
  const extra = dims.split(',').filter((dim) => dim && !dim.startsWith('service='));
  return extra.length > 0 ? `${name} (${extra.join(', ')})` : String(name);
}

function table(headers: string[], align: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

export function report(
  run: RunFigures,
  m: Meter,
  scheduled: Map<string, Meter>,
  d: Deployment,
  egressDeployment: Deployment,
  init: InitTimes,
): string {
  const lines = orderLines(m, run, d, init);
  const total = (key: 'steady' | 'trickle') => lines.reduce((sum, line) => sum + line[key], 0);
  const TARGET = 0.5;
  const verdict = (value: number) => (value < TARGET ? 'met' : 'not met');
  const perOrderTable = table(
    ['per 1,000 paid orders', 'measured per order (steady / trickle)', 'steady stream', 'trickle'],
    ['---', '---', '---:', '---:'],
    [
      ...lines.map((line) => [line.service, line.counted, formatUsd(line.steady), formatUsd(line.trickle)]),
      ['**Total**', '', `**${formatUsd(total('steady'), 3)}**`, `**${formatUsd(total('trickle'), 3)}**`],
      [`target < $${TARGET.toFixed(2)}`, '', verdict(total('steady')), verdict(total('trickle'))],
    ],
  );

  const secretsMonthly = dollars(d.secrets, price('secretMonth'));
  const alarmsMonthly = dollars(d.alarmMetrics, price('alarmMetricMonth'));
  const dashboardMonthly = dollars(d.dashboards, price('dashboardMonth'));
  // Every function but intake runs the workflow middy chain, whose logMetrics captures a ColdStart metric.
  const workflowFns = FunctionNames.filter((fn) => fn !== 'webhook-intake');
  // Deployed, each function's Metrics emits its own ColdStart metric (captureColdStartMetric); in one process the
  // shared instance emits one at most, so those are added per function here.
  const metricKeys = new Set<string>();
  for (const meterOf of [m, ...scheduled.values()])
    for (const key of meterOf.metrics) if (!key.includes('/ColdStart/')) metricKeys.add(key);
  const customMetrics = metricKeys.size + workflowFns.length;
  const metricsMonthly = dollars(customMetrics, price('customMetricMonth'));
  const kmsMonthly = dollars(d.kmsKeys, price('kmsKeyMonth'));
  const scheduleRows = d.schedules.map((schedule) => {
    const meterOf = scheduled.get(schedule.functionName) ?? new Meter();
    return {
      schedule,
      without: scheduleMonthly(meterOf, d, init, schedule.perMonth, false),
      with: scheduleMonthly(meterOf, egressDeployment, init, schedule.perMonth, true),
    };
  });
  const natMonthly = dollars(egressDeployment.natGateways * HOURS_PER_MONTH, price('natGatewayHour'));
  const ipMonthly = dollars(egressDeployment.elasticIps * HOURS_PER_MONTH, price('publicIpv4Hour'));
  const natDataPer1000 = dollars(((m.yayBytes / run.orders) * 1000) / 1024 ** 3, price('natGatewayGb'));
  const fixedRows: Array<[string, string, number, number]> = [
    [`Secrets Manager`, `${d.secrets} secrets`, secretsMonthly, secretsMonthly],
    [
      `CloudWatch alarms`,
      `${d.alarms} alarms, ${d.alarmMetrics} alarm metrics`,
      alarmsMonthly,
      alarmsMonthly,
    ],
    [
      `CloudWatch dashboard`,
      `${d.dashboards} (free if the account has ≤ 3)`,
      dashboardMonthly,
      dashboardMonthly,
    ],
    [`CloudWatch custom metrics`, `${customMetrics} metric series`, metricsMonthly, metricsMonthly],
    [`KMS key (alarm topic)`, `${d.kmsKeys} key`, kmsMonthly, kmsMonthly],
    ...scheduleRows.map((row): [string, string, number, number] => [
      `Schedule: ${row.schedule.functionName}`,
      `${Math.round(row.schedule.perMonth).toLocaleString('en-GB')} runs`,
      row.without,
      row.with,
    ]),
    [
      'NAT gateway + Elastic IP',
      `${egressDeployment.natGateways} gateway, ${egressDeployment.elasticIps} address × ${HOURS_PER_MONTH} h`,
      0,
      natMonthly + ipMonthly,
    ],
  ];
  const fixedTotal = (i: 2 | 3) => fixedRows.reduce((sum, row) => sum + row[i], 0);
  const fixedTable = table(
    ['fixed, per month', 'what', 'without fixed egress IP', 'with it'],
    ['---', '---', '---:', '---:'],
    [
      ...fixedRows.map(([service, what, without, withIp]) => [
        service,
        what,
        formatUsd(without, 2),
        formatUsd(withIp, 2),
      ]),
      ['**Total**', '', `**${formatUsd(fixedTotal(2), 2)}**`, `**${formatUsd(fixedTotal(3), 2)}**`],
    ],
  );

  const byFunction = FunctionNames.filter((fn) => m.invocations.some((call) => call.fn === fn)).map((fn) => {
    const calls = m.invocations.filter((call) => call.fn === fn);
    const ms = median(calls.map((call) => call.ms));
    const cfg = d.functions.get(fn);
    return `${fn} ${(calls.length / run.orders).toFixed(2)}× · ${ms.toFixed(0)} ms · init ${(init.ms.get(fn) ?? 0).toFixed(0)} ms · ${cfg?.memoryMb} MB ${cfg?.architecture} · peak ${m.peak.get(fn) ?? 0}`;
  });
  const dyn = m.dynamo;
  const check =
    dyn.reportedWrite > 0 ? `${((100 * dyn.computedTableWrite) / dyn.reportedWrite).toFixed(1)}%` : 'n/a';
  const secretsLocal = m.secretCalls;
  const kb = (bytes: number) => `${(bytes / run.orders / 1024).toFixed(2)} KB`;
  const handlerBytes = [...m.logBytes.values()].reduce((a, b) => a + b, 0);
  const platform = lambdaFigures(m, d, init, 'steady').platformLogBytes;
  return [
    '### What an order costs (`npm run bench -- cost`)',
    '',
    `${run.orders} paid orders (${run.fulfilled} fulfilled) sent to local mode as signed webhooks, ${Math.round(SHOPIFY_SHARE * 100)}% Shopify (orders/create then orders/paid) and ${Math.round((1 - SHOPIFY_SHARE) * 100)}% Stripe Checkout (one event), one delivery in ${DUPLICATE_EVERY} sent twice, ${run.orders - run.newBuyers} of them (${Math.round((100 * (run.orders - run.newBuyers)) / run.orders)}%) repeat buyers topping up; ${IN_FLIGHT} orders in flight, Yay sandbox at ${YAY_LATENCY_MS} ms, ${run.seconds.toFixed(0)} s. Counts measured in the run and scaled to 1,000; AWS list prices for ${PriceTable.regionName} (${PriceTable.region}) as checked on ${PriceTable.checked} (tools/bench/prices-eu-west-2.ts; free tiers not applied). **Steady stream**: one cold start per concurrent environment the run needed (its measured peak per function); **trickle**: orders so far apart that every invocation is a cold start. Method: tools/bench/COST.md.`,
    '',
    perOrderTable,
    '',
    fixedTable,
    '',
    `With the fixed egress IP, Yay traffic through the NAT gateway adds ${formatUsd(natDataPer1000)} per 1,000 orders (${(m.yayBytes / run.orders / 1024).toFixed(1)} KB per order, HTTP bytes, TLS excluded).`,
    '',
    '<details><summary>Measured per function (invocations per order · median duration · init · memory · peak concurrency)</summary>',
    '',
    ...byFunction.map((line) => `- ${line}`),
    '',
    `Log bytes per order: handlers' JSON ${kb(handlerBytes - m.emfBytes)} + EMF ${kb(m.emfBytes)}, Lambda START/END/REPORT ${kb(platform)}, Step Functions ${kb(m.sfnLogBytes)} (modelled per history event), API access log ${kb(run.accessLogBytes)}, outbound-events log ${kb(m.outboundLogBytes)}. Custom metric series: ${[...metricKeys].map(metricLabel).join(', ')}, and ColdStart for each of ${workflowFns.length} functions.`,
    '',
    `DynamoDB: ${dyn.calls} calls; table units as reported by ReturnConsumedCapacity, index writes and failed conditions computed from item sizes (check: computed table writes = ${check} of reported); ${dyn.unexplained} calls not modelled. Secrets Manager calls that reached the stand-in: ${secretsLocal} (one environment per function, 300 s cache).`,
    '',
    '</details>',
  ].join('\n');
}
