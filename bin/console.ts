/**
 * `npm run console [-- --aws [--stack <name>] [--region <region>]] [--data-dir <dir>] [--port <n>] [--host <addr>]`:
 * the operator console on its own server, against the running local mode (default) or a deployed stack with the
 * operator's own AWS credentials, as `npm run ops` reaches them. Prints one line, `console <url>`, whose token is
 * made for this start; Ctrl-C stops it.
 */

import { CONSOLE_USAGE, type ConsoleArgs, parseConsoleArgs } from '../console/args';
import { isLoopback } from '../console/security';
import { serveConsole } from '../console/server';
import { sourcesFromTarget } from '../console/sources';
import { loadDotEnv } from '../local/config';
import { OpsError } from '../ops/errors';
import { awsTarget, localTarget, operatorObservability, type Target } from '../ops/target';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const err = (line: string) => process.stderr.write(`${line}\n`);

let args: ConsoleArgs;
try {
  args = parseConsoleArgs(process.argv.slice(2));
} catch (error) {
  fail(`${(error as Error).message}\n${CONSOLE_USAGE}`, 2);
}
if (args.help) {
  process.stdout.write(`${CONSOLE_USAGE}\n`);
  process.exit(0);
}
loadDotEnv();

let target: Target;
try {
  target = args.aws
    ? await awsTarget(process.env, args.stack, args.region)
    : await localTarget(process.env, args.dataDir);
} catch (error) {
  fail(error instanceof OpsError ? error.message : `console could not start: ${(error as Error).message}`, 1);
}
const sources = sourcesFromTarget(target, { observability: operatorObservability(err) });
const loopbackOnly = isLoopback(args.host);
const served = await serveConsole({ sources, host: args.host, port: args.port, loopbackOnly }).catch(
  (error: Error) => fail(`console could not start: ${error.message}`, 1),
);
if (!loopbackOnly)
  err(`warning: the console listens on ${args.host}, not loopback: anyone with its URL can act`);
process.stdout.write(`console ${served.url}  (${target.where}; Ctrl-C to stop)\n`);

const stop = async () => {
  await served.close();
  sources.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
