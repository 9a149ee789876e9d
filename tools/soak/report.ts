/**
 * A soak run's report: its figures as one markdown table (as docs/benchmarks.md shows them), then the orders by
 * payment path — what their money owes against how they ended.
 */
import { describeCredit } from '../../shared/domain/credit';
import type { SoakFigures } from './figures';
import { KNOWN_FINDINGS } from './findings';
import { PaymentPaths, type SoakPlan } from './plan-types';

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
