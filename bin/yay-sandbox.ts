/**
 * Starts one Yay sandbox in the foreground, for trying the client or curl by hand, or as the Yay that outlives
 * local mode's restarts (set local mode's YAY_API_BASE_URL to its URL):
 *   PORT=4010 npm run yay-sandbox -- [--admin] [--admin-port <n>] [--json]
 *     [--reseller-balance <amount, e.g. 100.000>] [--request-log-limit <n>]
 * Credentials come from YAY_RESELLER / YAY_USER / YAY_PASSWORD, else the sandbox's obvious fakes;
 * YAY_STORE_FRONT names the one store front. The password is never printed.
 * `--admin` also opens the control port (local/yay-sandbox/admin.ts: faults, ledger, balance, release) on loopback, for a
 * harness driving the sandbox from another process; `--json` prints the ready line as JSON.
 */
import { parseArgs } from 'node:util';
import { yayCredentialsFromEnv } from '../local/config';
import { DEFAULT_STORE_FRONT, startSandboxAdmin, startYaySandbox } from '../local/yay-sandbox/server';
import { type Millis, parseCredit } from '../shared/domain/credit';

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function port(raw: string | undefined, name: string, fallback: number): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 0 || value > 65_535) {
    fail(`${name} must be an integer from 0 to 65535, got "${raw}"`);
  }
  return value;
}

let values: {
  admin?: boolean;
  'admin-port'?: string;
  json?: boolean;
  'reseller-balance'?: string;
  'request-log-limit'?: string;
};
try {
  ({ values } = parseArgs({
    options: {
      admin: { type: 'boolean' },
      'admin-port': { type: 'string' },
      json: { type: 'boolean' },
      'reseller-balance': { type: 'string' },
      'request-log-limit': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail((error as Error).message);
}

const apiPort = port(process.env.PORT, 'PORT', 4010);
let resellerBalance = 100_000 as Millis;
if (values['reseller-balance'] !== undefined) {
  try {
    resellerBalance = parseCredit(values['reseller-balance']);
  } catch (error) {
    fail(`--reseller-balance: ${(error as Error).message}`);
  }
}
const logLimit = values['request-log-limit'] === undefined ? undefined : Number(values['request-log-limit']);
if (logLimit !== undefined && !(Number.isSafeInteger(logLimit) && logLimit > 0)) {
  fail(`--request-log-limit must be a positive integer, got "${values['request-log-limit']}"`);
}

const sandbox = await startYaySandbox({
  port: apiPort,
  // Read as local mode reads them, so the two agree on every value (trimmed, empty = unset).
  credentials: yayCredentialsFromEnv(),
  storeFronts: [{ ...DEFAULT_STORE_FRONT, uuid: process.env.YAY_STORE_FRONT || DEFAULT_STORE_FRONT.uuid }],
  resellerBalance,
  ...(logLimit === undefined ? {} : { requestLogLimit: logLimit }),
});
const admin =
  values.admin || values['admin-port'] !== undefined
    ? await startSandboxAdmin(sandbox, { port: port(values['admin-port'], '--admin-port', 0) })
    : undefined;

if (values.json) {
  console.log(
    JSON.stringify({
      message: 'yay sandbox ready',
      url: sandbox.url,
      ...(admin ? { adminUrl: admin.url } : {}),
      reseller: sandbox.credentials.reseller,
      user: sandbox.credentials.user,
      storeFront: sandbox.storeFronts[0]?.uuid,
    }),
  );
} else {
  console.log(`Yay sandbox listening on ${sandbox.url}`);
  if (admin) console.log(`control port (faults, ledger) on ${admin.url}`);
  console.log(
    `reseller=${sandbox.credentials.reseller} user=${sandbox.credentials.user} store_front=${sandbox.storeFronts[0]?.uuid}`,
  );
}

const shutdown = async (): Promise<void> => {
  await admin?.stop();
  await sandbox.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
