/**
 * `npm run bench`: runs every benchmark in one process, one after the other (never in parallel: the
 * machine has two cores), and prints one markdown section per benchmark for the README.
 */
import '../../infra/local/polyfills';

const benches: Array<[string, () => Promise<{ default: () => Promise<string> }>]> = [
  ['bundles', () => import('./bundles')],
  ['intake', () => import('./intake')],
  ['local-e2e', () => import('./local-e2e')],
];

const only = process.argv.slice(2);
let failed = false;
for (const [name, load] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  try {
    const bench = await load();
    process.stdout.write(`${await bench.default()}\n\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(`bench ${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  }
}
process.exit(failed ? 1 : 0);
