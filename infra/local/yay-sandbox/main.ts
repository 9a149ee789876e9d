/**
 * Starts one Yay sandbox in the foreground, for trying the client or curl by hand:
 *   PORT=4010 npx tsx infra/local/yay-sandbox/main.ts
 * Credentials come from YAY_RESELLER / YAY_USER / YAY_PASSWORD, else the sandbox's obvious fakes;
 * YAY_STORE_FRONT names the one store front. The password is never printed.
 */
import type { Millis } from '../../../shared/domain/credit';
import { yayCredentialsFromEnv } from '../config';
import { DEFAULT_STORE_FRONT, startYaySandbox } from './index';

const port = Number(process.env.PORT ?? 4010);
if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer from 0 to 65535, got "${process.env.PORT}"`);
  process.exit(1);
}

const sandbox = await startYaySandbox({
  port,
  // Read as local mode reads them, so the two agree on every value (trimmed, empty = unset).
  credentials: yayCredentialsFromEnv(),
  storeFronts: [{ ...DEFAULT_STORE_FRONT, uuid: process.env.YAY_STORE_FRONT || DEFAULT_STORE_FRONT.uuid }],
  resellerBalance: 100_000 as Millis,
});

console.log(`Yay sandbox listening on ${sandbox.url}`);
console.log(
  `reseller=${sandbox.credentials.reseller} user=${sandbox.credentials.user} store_front=${sandbox.storeFronts[0]?.uuid}`,
);

const shutdown = async (): Promise<void> => {
  await sandbox.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
