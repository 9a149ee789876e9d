/**
 * `npm start`: local mode in the foreground (DESIGN.md §8). Reads `.env` when present, starts everything
 * on loopback, prints one line per state each order passes through, and stops cleanly on Ctrl-C.
 * `npm start -- --json` logs JSON lines; `npm start -- -c key=value` sets CDK context as `cdk synth -c` does.
 */
import { loadDotEnv, parseStartArgs, readLocalConfig, type StartArgs } from './config';
import { startLocal } from './runtime/start-local';

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
const runtime = await startLocal({ context: args.context }).catch(fail);

if (config.logFormat === 'json') {
  say(
    JSON.stringify({
      level: 'INFO',
      message: 'local mode ready',
      url: runtime.url,
      dataDir: config.dataDir,
      endpoints: runtime.info.endpoints,
    }),
  );
  say(JSON.stringify({ level: 'INFO', message: 'console', url: runtime.consoleUrl }));
} else {
  say(`Local mode ready on ${runtime.url}`);
  say(
    `  webhooks   POST ${runtime.url}/webhooks/{stripe,shopify,woocommerce}   health GET ${runtime.url}/healthz`,
  );
  say(
    `  Yay        ${
      runtime.sandbox
        ? `sandbox at ${runtime.info.endpoints.yay} (in memory: empty after each start; for one that outlives ` +
          'restarts run local/yay-sandbox/main.ts and set YAY_API_BASE_URL)'
        : runtime.info.endpoints.yay
    }`,
  );
  const { storeFronts } = runtime.info;
  say(`  stores     store front ${storeFronts.default}, unless provisioning:stores gives a store its own`);
  for (const [store, uuid] of Object.entries(storeFronts.stores)) say(`  stores     ${store} → ${uuid}`);
  say(`  data       ${config.dataDir} (a restart resumes from here)`);
  // The runbook's AWS CLI commands against local mode (README.md, "Replay runbook"); any credentials do.
  const { endpoints } = runtime.info;
  say(
    `  AWS CLI    --endpoint-url  stepfunctions ${endpoints.sfn}  events ${endpoints.eventbridge}  ` +
      `secretsmanager ${endpoints.secretsManager}  dynamodb ${endpoints.dynamodb}`,
  );
  say(`  waits      every Wait, Retry interval and payment timeout capped at ${config.maxWaitSeconds} s`);
  say(
    `  IAM        each function's calls checked against its role in the template (${runtime.iam.roles.size} roles); ` +
      'a denied call prints "access denied"',
  );
  for (const schedule of runtime.template.schedules)
    say(`  schedule   ${schedule.functionName} ${schedule.expression}`);
  if (config.allDefaults) {
    say('');
    say('No configuration set: running on sandbox defaults (see .env.example). Send a signed test order:');
    say(`  npx tsx local/send-sample.ts --url ${runtime.url} paid`);
    say('  (or "unpaid", then "confirm <session id>" to complete an asynchronous payment)');
  }
  // The operator console, its token made for this start (console/README.md).
  say(`console    ${runtime.consoleUrl}`);
  say('Ctrl-C to stop.');
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  say(
    config.logFormat === 'json'
      ? JSON.stringify({ level: 'INFO', message: 'stopping', signal })
      : `${signal}: stopping…`,
  );
  await runtime.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
