/**
 * `npm run bench -- money-model`: the money model-based test (test/shared/workflow/money.model.test.ts) at more runs
 * than `npm test` gives it, on several seeds, one after the other. Each seed runs in its own vitest process; the
 * section reports runs, seeds, wall time and the result of each. Runs per seed: MONEY_MODEL_BENCH_RUNS (3,000);
 * seeds: MONEY_MODEL_BENCH_SEEDS (comma-separated; 20261206 and two others).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = Number(process.env.MONEY_MODEL_BENCH_RUNS ?? 3_000);
const SEEDS = (process.env.MONEY_MODEL_BENCH_SEEDS ?? '20261206,7,99').split(',').map(Number);

export default async function moneyModel(): Promise<string> {
  const rows: string[] = [];
  let failed = false;
  for (const seed of SEEDS) {
    const started = process.hrtime.bigint();
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        'node_modules/vitest/vitest.mjs',
        'run',
        'test/shared/workflow/money.model.test.ts',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, MONEY_MODEL_RUNS: String(RUNS), MONEY_MODEL_SEED: String(seed) },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const passed = child.status === 0;
    failed ||= !passed;
    // vitest prints the failure (fast-check's seed, path and counterexample) on either stream, coloured.
    const printed = stripVTControlCharacters(`${child.stdout ?? ''}${child.stderr ?? ''}`);
    const failure = /\{ seed: \d+, path: "[\d:]+"/.exec(printed)?.[0];
    const counterexample = failure ? `${failure} }` : undefined;
    rows.push(
      `| ${seed} | ${RUNS.toLocaleString('en-GB')} | ${passed ? 'held' : `failed: ${counterexample ?? `exit ${child.status}`}`} | ${seconds.toFixed(0)} s |`,
    );
  }
  const table = [
    '## Money model (`npm run bench -- money-model`)',
    '',
    'Random runs of money facts, crashes, sweeps, people and reseller balances over the real use cases (dynalite, the',
    'Yay sandbox over HTTP), each judged by the pure oracle after quiescence.',
    '',
    '| seed | runs | result | wall time |',
    '|---:|---:|---|---:|',
    ...rows,
  ].join('\n');
  if (failed) {
    process.stdout.write(`${table}\n`);
    throw new Error('the money model found a counterexample');
  }
  return table;
}
