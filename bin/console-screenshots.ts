/**
 * `npm run console:screenshots`: a throw-away local mode seeded with one order in each state the console shows
 * (tools/console/samples.ts), then a PNG of each page in Debian's headless Chromium, into docs/console/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consoleMount } from '../console/local-mode';
import { startLocal } from '../local/runtime/start-local';
import { findChromium, launchChromium } from '../tools/console/chromium';
import { seedConsoleSamples } from '../tools/console/samples';

const OUT = resolve(import.meta.dirname, '../docs/console');

const executable = findChromium();
if (!executable) {
  process.stderr.write('no chromium on this machine: apt-get install -y chromium\n');
  process.exit(1);
}
const dataDir = mkdtempSync(join(tmpdir(), 'yay-console-screenshots-'));
const runtime = await startLocal({
  env: { LOCAL_MAX_WAIT_SECONDS: '2' },
  overrides: { port: 0, dataDir },
  print: () => undefined,
  schedules: false,
  mount: consoleMount,
});
const consoleUrl = runtime.mounted?.url ?? '';
const browser = await launchChromium(executable);
try {
  const samples = await seedConsoleSamples(runtime);
  mkdirSync(OUT, { recursive: true });
  const page = await browser.context.newPage();
  await page.goto(consoleUrl);
  const base = new URL(consoleUrl).origin;
  const shoot = async (name: string, path: string, wait?: () => Promise<unknown>) => {
    await page.goto(`${base}${path}`);
    await wait?.();
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    process.stdout.write(`docs/console/${name}.png\n`);
  };
  const key = (orderKey: string) => encodeURIComponent(orderKey);
  await shoot('needs-attention', '/console/');
  await shoot('orders', '/console/orders');
  await shoot('order', `/console/order?key=${key(samples.refundAfterCredit)}`);
  await shoot(
    'confirm-resolve-transfer',
    `/console/order/act?key=${key(samples.review)}&action=resolve-applied`,
  );
  // Chart.js keeps every chart it drew in Chart.instances: wait for the page's three.
  await shoot('overview', '/console/overview', () =>
    page.waitForFunction("typeof Chart !== 'undefined' && Object.keys(Chart.instances).length === 3"),
  );
} finally {
  await browser.close();
  await runtime.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
