/**
 * `npm run ops -- <command>`: the operator CLI (status, list, replay, resolve-transfer, yay-check), against
 * the running local mode by default, or a deployed stack with `--aws`. See `npm run ops -- --help`.
 */
import { loadDotEnv } from './config';
import { runOps } from './ops-cli';

loadDotEnv();
// Node 20 is supported here until the SDK drops it; the notice is noise on every operator command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await runOps(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
});
process.exit(code);
