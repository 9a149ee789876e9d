/**
 * `npm run bench [-- <name>…]`: runs every benchmark (or the named ones), one after the other — never in
 * parallel: the machine has two cores — each in a fresh Node process, because a benchmark configures the
 * handlers through the environment at import and one process would carry that over to the next.
 * Prints one markdown section per benchmark for docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const benches: Record<string, () => Promise<{ default: () => Promise<string> }>> = {
  bundles: () => import('./bundles'),
  intake: () => import('./intake'),
  'local-e2e': () => import('./local-e2e'),
  console: () => import('./console'),
  soak: () => import('./soak'),
  cost: () => import('./cost'),
  'money-model': () => import('./money-model'),
};

const [first, ...rest] = process.argv.slice(2);
if (first === '--one' && rest[0]) {
  const load = benches[rest[0]];
  if (!load) throw new Error(`unknown benchmark ${rest[0]}`);
  const section = await (await load()).default();
  process.stdout.write(`${section}\n\n`);
  process.exit(0);
}

const names = first ? [first, ...rest] : Object.keys(benches);
const unknown = names.filter((name) => !(name in benches));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}\n`,
  );
  process.exit(2);
}
let failed = false;
for (const name of names) {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--one', name],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (child.status !== 0) {
    failed = true;
    process.stderr.write(`bench ${name} failed (exit ${child.status ?? child.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);
