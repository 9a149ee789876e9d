/**
 * `npm run ops -- <command>`: the operator CLI (status, list, replay, resolve-transfer, yay-check), against
 * the running local mode by default, or a deployed stack with `--aws`. See `npm run ops -- --help`.
 */
import { loadDotEnv } from '../local/config';
import { runOps } from '../ops/cli';

loadDotEnv();
const code = await runOps(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
process.exit(code);
