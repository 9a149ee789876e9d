/** What `npm start` prints once local mode is ready, and the command that sends it a sample order. */
import type { LocalConfig } from '../config';
import { formatLogLine } from './log-line';
import type { LocalRuntime } from './start-local';

/**
 * The one command that sends a signed sample order (a paid Stripe checkout) to this local mode: `npm start` prints
 * it, so the first thing a newcomer tries is one paste away.
 */
export function sampleCommand(url: string): string {
  return `npm run send-sample -- --url ${url} paid`;
}

/**
 * What `npm start` prints once local mode is ready: where everything listens, the sample command and the console
 * (whatever is mounted) — as lines for a person, or as JSON lines with LOCAL_LOG_FORMAT=json.
 */
export function readyLines(runtime: LocalRuntime, config: LocalConfig): string[] {
  const { mounted } = runtime;
  // `/console` → "console": the mount names itself in the banner.
  const mountName = mounted?.prefix.replace(/^\//, '');
  if (config.logFormat === 'json') {
    return [
      formatLogLine('json', {
        level: 'INFO',
        message: 'local mode ready',
        fields: { url: runtime.url, dataDir: config.dataDir, endpoints: runtime.info.endpoints },
      }),
      formatLogLine('json', {
        level: 'INFO',
        message: 'send a sample order',
        fields: { command: sampleCommand(runtime.url) },
      }),
      ...(mounted
        ? [formatLogLine('json', { level: 'INFO', message: mountName ?? '', fields: { url: mounted.url } })]
        : []),
    ];
  }
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  say(`Local mode ready on ${runtime.url}`);
  say(
    `  webhooks   POST ${runtime.url}/webhooks/{stripe,shopify,woocommerce}   health GET ${runtime.url}/healthz`,
  );
  say(
    `  Yay        ${
      runtime.sandbox
        ? `sandbox at ${runtime.info.endpoints.yay} (in memory: empty after each start; for one that outlives ` +
          'restarts run `npm run yay-sandbox` and set YAY_API_BASE_URL)'
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
  say('');
  if (config.allDefaults) say('No configuration set: running on sandbox defaults (see .env.example).');
  say('Send a signed test order (a paid Stripe checkout) from another terminal:');
  say(`  ${sampleCommand(runtime.url)}`);
  say('  (or "unpaid", then "confirm <session id>" to complete an asynchronous payment)');
  // The console, its token made for this start (console/README.md).
  if (mounted && mountName) say(`${mountName.padEnd(10)} ${mounted.url}`);
  say('Ctrl-C to stop.');
  return lines;
}
