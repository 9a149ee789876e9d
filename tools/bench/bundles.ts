/**
 * Bundle size and cold-load time per Lambda: `npm run bench -- bundles`.
 *
 * Builds each `functions/<name>/handler.ts` with exactly the esbuild options the CDK NodejsFunction uses
 * (infra/constructs/bundling.ts), then times a fresh Node process that loads the bundle and exits, beside
 * a bare `node` start measured in the same run (interleaved, so machine noise hits both alike).
 * Target (issue 12): load at most 3× the bare start, on Node.js 24 (the Lambda runtime). Size is not a target.
 * Beside each deployed bundle (CommonJS, AWS SDK bundled) the build it replaced (ESM, SDK left to the runtime's
 * node_modules) is timed in the same loop, so the ratio between them is the machine's noise-free comparison.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  esbuildOptions,
  handlerEntry,
  previousEsbuildOptions,
  repoRoot,
} from '../../infra/constructs/bundling';
import { type FunctionName, FunctionNames } from '../../infra/names';
import type { EnvName } from '../../shared/config';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const MAX_RATIO = 3;

/** What a deployed function finds in its environment; fake values, enough for every handler's import-time config. */
export const FAKE_ENV: Record<EnvName, string> & Record<string, string> = {
  TABLE_NAME: 'bench-table',
  EVENT_BUS_NAME: 'bench-bus',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-2:000000000000:stateMachine:CustomerProvisioning',
  YAY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:bench-yay-AbCdEf',
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:bench-webhooks-AbCdEf',
  NAMING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:bench-naming-AbCdEf',
  YAY_API_BASE_URL: 'http://127.0.0.1:9',
  YAY_STORE_FRONT: '00000000-0000-4000-8000-000000000000',
  YAY_STORE_FRONTS: '{"bench.example.com":"00000000-0000-4000-8000-000000000001"}',
  PAYMENT_WINDOW_SECONDS: '604800',
  CREDIT_FREE_ORDERS: 'false',
  RECONCILE_BY_BALANCE_UP_TO: '20000',
  SWEEP_MIN_AGE_SECONDS: '300',
  CREDIT_CATALOG: '{"CREDIT-10":{"GBP":"10.000"}}',
  SECRETS_MAX_AGE_SECONDS: '300',
  YAY_TIMEOUT_MS: '10000',
  YAY_CUSTOMER_BALANCE_PATH: 'auto',
  YAY_BALANCE_HISTORY_PATH: 'auto',
  YAY_CREDIT_ALLOCATION: 'put-balance',
  YAY_CREDIT_ALLOCATION_NET: '',
  PASSWORD_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:bench-password-AbCdEf',
  EMAIL_SENDER: 'Bench Shop <noreply@bench.example>',
  EMAIL_CONFIGURATION_SET: 'bench-emails',
  EMAIL_TEMPLATES: '{"welcome":"bench-welcome","receipt":"bench-receipt"}',
  STORE_LOGIN_URL: 'https://login.example/store',
  STORE_LOGIN_URLS: '{}',
  EMAIL_RETRY_MIN_AGE_SECONDS: '600',
  AWS_REGION: 'eu-west-2',
  POWERTOOLS_SERVICE_NAME: 'yay-provisioning',
  POWERTOOLS_METRICS_NAMESPACE: 'YayProvisioning',
};

interface Row {
  name: FunctionName;
  bytes: number;
  samples: number[];
  mapSamples: number[];
  /** The previous build (ESM, the SDK from node_modules as the runtime provides it), for comparison. */
  previousBytes: number;
  previousSamples: number[];
  error?: string;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Milliseconds for one fresh `node <args>` to start, run and exit; throws with stderr's first line on failure. */
export function timeNode(args: string[], cwd: string): number {
  // A clean environment: no NODE_OPTIONS or loader hooks inherited from tsx.
  const env = { PATH: process.env.PATH ?? '', ...FAKE_ENV };
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(
      (result.stderr || `exit ${result.status}`).trim().split('\n').slice(0, 3).join(' ').slice(0, 200),
    );
  }
  return elapsed;
}

/**
 * A folder to load bundles from as Lambda would. The deployed bundles need nothing beside them; the previous
 * build resolves `@aws-sdk/*` from the repo, as the runtime's copy would be. Remove it when done.
 */
export function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'yay-bench-bundles-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Builds `functions/<name>/handler.ts` as the CDK does into `<dir>/<name>/index.js`; returns that path. */
export async function buildHandlerBundle(name: FunctionName, dir: string): Promise<string> {
  const outfile = join(dir, name, 'index.js');
  mkdirSync(join(dir, name), { recursive: true });
  await build({ ...esbuildOptions, entryPoints: [handlerEntry(name)], outfile, absWorkingDir: repoRoot });
  return outfile;
}

/** The benchmark: returns a markdown section. */
export default async function bundles(): Promise<string> {
  const dir = bundleDir();
  try {
    const rows: Row[] = [];
    for (const name of FunctionNames) {
      const outfile = await buildHandlerBundle(name, dir);
      const previousOutfile = join(dir, name, 'previous.mjs');
      await build({
        ...previousEsbuildOptions,
        entryPoints: [handlerEntry(name)],
        outfile: previousOutfile,
        absWorkingDir: repoRoot,
      });
      rows.push({
        name,
        bytes: statSync(outfile).size,
        samples: [],
        mapSamples: [],
        previousBytes: statSync(previousOutfile).size,
        previousSamples: [],
      });
    }

    const bare: number[] = [];
    timeNode(['-e', ''], dir); // warm the file cache once; not counted
    for (let run = 0; run < RUNS; run++) {
      bare.push(timeNode(['-e', ''], dir));
      for (const row of rows) {
        if (row.error) continue;
        const bundle = join(dir, row.name, 'index.js');
        try {
          row.samples.push(timeNode([bundle], dir));
          // Deployed functions run with NODE_OPTIONS=--enable-source-maps (infra sets it): measure that too.
          row.mapSamples.push(timeNode(['--enable-source-maps', bundle], dir));
          row.previousSamples.push(timeNode([join(dir, row.name, 'previous.mjs')], dir));
        } catch (error) {
          row.error = (error as Error).message;
        }
      }
    }

    const bareMs = median(bare);
    const lines = [
      '## Bundles: size and cold load',
      '',
      `Command: \`npm run bench -- bundles\` · Node ${process.version} on ${process.platform}/${process.arch} · ` +
        `median of ${RUNS} fresh processes each · bare \`node -e ''\` start: **${bareMs.toFixed(1)} ms**`,
      '',
      `Target: load ≤ ${MAX_RATIO}× bare. Bundles built with the CDK's esbuild options (minified CommonJS, the AWS ` +
        'SDK bundled in, as deployed; "with maps" = `--enable-source-maps`, also as deployed). The last three ' +
        'columns build the same handler as it was built before (ESM, the SDK from node_modules), timed in the same loop.',
      '',
      '| function | bundle (KB) | load (ms) | × bare | load with maps (ms) | × bare | within target | ' +
        'before: ESM, SDK external (KB) | its load (ms) | × bare |',
      '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|',
    ];
    for (const row of rows) {
      const kb = (row.bytes / 1024).toFixed(1);
      if (row.error) {
        lines.push(
          `| ${row.name} | ${kb} | failed to load: ${row.error.replace(/\|/g, '/')} | | | | no | | | |`,
        );
        continue;
      }
      const load = median(row.samples);
      const withMaps = median(row.mapSamples);
      const previousLoad = median(row.previousSamples);
      const ok = Math.max(load, withMaps) / bareMs <= MAX_RATIO;
      lines.push(
        `| ${row.name} | ${kb} | ${load.toFixed(1)} | ${(load / bareMs).toFixed(2)} | ${withMaps.toFixed(1)} | ` +
          `${(withMaps / bareMs).toFixed(2)} | ${ok ? 'yes' : 'no'} | ${(row.previousBytes / 1024).toFixed(1)} | ` +
          `${previousLoad.toFixed(1)} | ${(previousLoad / bareMs).toFixed(2)} |`,
      );
    }
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
