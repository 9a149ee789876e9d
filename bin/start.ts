/**
 * `npm start`: local mode in the foreground (docs/design.md §8), with the operator console at `/console`. Reads `.env`
 * when present, starts everything on loopback, prints one line per state each order passes through, and stops
 * cleanly on Ctrl-C. `npm start -- --json` logs JSON lines; `npm start -- -c key=value` sets CDK context as
 * `cdk synth -c` does.
 */
import { consoleMount } from '../console/local-mode';
import { loadDotEnv, parseStartArgs, readLocalConfig, type StartArgs } from '../local/config';
import { readyLines } from '../local/runtime/banner';
import { formatLogLine } from '../local/runtime/log-line';
import { startLocal } from '../local/runtime/start-local';

function fail(error: unknown): never {
  // Configuration errors name the variable; nothing else is echoed (a message never carries a secret).
  process.stderr.write(
    `local mode failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}

let args: StartArgs;
try {
  args = parseStartArgs(process.argv.slice(2));
} catch (error) {
  fail(error);
}
if (args.json) process.env.LOCAL_LOG_FORMAT = 'json';
loadDotEnv();
let config: ReturnType<typeof readLocalConfig>;
try {
  config = readLocalConfig();
} catch (error) {
  fail(error);
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const runtime = await startLocal({ context: args.context, mount: consoleMount }).catch(fail);
for (const line of readyLines(runtime, config)) say(line);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  say(
    formatLogLine(config.logFormat, {
      level: 'INFO',
      message: 'stopping',
      fields: { signal },
      text: `${signal}: stopping…`,
    }),
  );
  await runtime.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
