/**
 * `npm run bench -- soak`: the chaos soak (issue 12) at full size — at least 500 orders from a few hundred buyers
 * over the three providers and every payment path, each event delivered one to four times, Yay faults throughout,
 * local mode SIGKILLed at least five times and restarted on its data dir — bounded in time, then the invariants
 * checked from the Yay sandbox's own ledger. The harness and its method notes: tools/soak/ (README.md there).
 *
 * `SOAK_SEED` picks another plan (the same seed gives the same plan); `SOAK_ORDERS`, `SOAK_BUYERS`, `SOAK_KILLS`
 * and `SOAK_MINUTES` change its size for a quick look (the table states what ran). Fails (exit 1) when an
 * invariant does not hold, after printing the table and every broken invariant.
 */
import { runSoak } from '../soak/harness';
import { BENCH_SOAK_PARAMETERS } from '../soak/plan-types';

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
};

export default async function (): Promise<string> {
  const base = BENCH_SOAK_PARAMETERS;
  const parameters = {
    ...base,
    seed: intEnv('SOAK_SEED', base.seed),
    orders: intEnv('SOAK_ORDERS', base.orders),
    buyers: intEnv('SOAK_BUYERS', base.buyers),
    kills: intEnv('SOAK_KILLS', base.kills),
    timeBoundMs: intEnv('SOAK_MINUTES', base.timeBoundMs / 60_000) * 60_000,
  };
  const result = await runSoak(parameters, {
    log: (line) => process.stderr.write(`soak: ${line}\n`),
    keepRunDir: process.env.SOAK_KEEP === '1',
  });
  const section = [
    '### Chaos soak (`npm run bench -- soak`)',
    '',
    `Command: \`${parameters.seed === base.seed ? '' : `SOAK_SEED=${parameters.seed} `}npm run bench -- soak\` (seed ${parameters.seed}) · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} on ${process.platform}/${process.arch}. Local mode (\`bin/start.ts\`, as \`npm start\` runs it) in a child process, killed with SIGKILL at seeded moments and restarted on the same data dir; the Yay sandbox in its own process with a fault programme; invariants from the sandbox's ledger. Method: tools/soak/README.md.`,
    '',
    result.report,
  ];
  if (result.failures.length > 0) {
    section.push('', '**Invariants broken:**', '', ...result.failures.map((failure) => `- ${failure}`));
    process.stdout.write(`${section.join('\n')}\n\n`);
    process.exit(1);
  }
  return section.join('\n');
}
