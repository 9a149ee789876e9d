/**
 * Bundle size and cold-load time per Lambda: `npm run bench -- bundles`.
 *
 * Builds each `functions/<name>/handler.ts` with exactly the esbuild options the CDK NodejsFunction uses
 * (infra/constructs/bundling.ts), then times a fresh Node process that loads the bundle and exits, beside
 * a bare `node` start measured in the same run (interleaved, so machine noise hits both alike).
 * Targets (issue 3): load under 1.5× the bare start, bundle under 500 KB.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions, handlerEntry, repoRoot } from '../../infra/constructs/bundling';
import { type FunctionName, FunctionNames } from '../../infra/names';
import type { EnvName } from '../../shared/config';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const MAX_RATIO = 1.5;
const MAX_BYTES = 500 * 1024;

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
  SWEEP_MIN_AGE_SECONDS: '300',
  CREDIT_CATALOG: '{"CREDIT-10":{"GBP":"10.000"}}',
  SECRETS_MAX_AGE_SECONDS: '300',
  YAY_TIMEOUT_MS: '10000',
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
  /** The same build with the AWS SDK bundled too: the alternative to weigh against the runtime's copy. */
  sdkBytes: number;
  sdkSamples: number[];
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
 * A folder to load bundles from as Lambda would: `@aws-sdk/*` resolved from the repo (the runtime provides it),
 * ESM. Remove it when done.
 */
export function bundleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'yay-bench-bundles-'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  return dir;
}

/** Builds `functions/<name>/handler.ts` as the CDK does into `<dir>/<name>/index.mjs`; returns that path. */
export async function buildHandlerBundle(name: FunctionName, dir: string): Promise<string> {
  const outfile = join(dir, name, 'index.mjs');
  mkdirSync(join(dir, name), { recursive: true });
  await build({ ...esbuildOptions, entryPoints: [handlerEntry(name)], outfile, absWorkingDir: repoRoot });
  return outfile;
}

/** The benchmark: returns a markdown section. */
export default async function bundles(): Promise<string> {
  // Bundles keep `@aws-sdk/*` external, as on Lambda where the runtime provides it: resolved from the repo.
  const dir = bundleDir();
  try {
    const rows: Row[] = [];
    for (const name of FunctionNames) {
      const outfile = await buildHandlerBundle(name, dir);
      const sdkOutfile = join(dir, name, 'sdk-bundled.mjs');
      await build({
        ...esbuildOptions,
        external: [],
        entryPoints: [handlerEntry(name)],
        outfile: sdkOutfile,
        absWorkingDir: repoRoot,
      });
      rows.push({
        name,
        bytes: statSync(outfile).size,
        samples: [],
        mapSamples: [],
        sdkBytes: statSync(sdkOutfile).size,
        sdkSamples: [],
      });
    }

    const bare: number[] = [];
    timeNode(['-e', ''], dir); // warm the file cache once; not counted
    for (let run = 0; run < RUNS; run++) {
      bare.push(timeNode(['-e', ''], dir));
      for (const row of rows) {
        if (row.error) continue;
        const bundle = join(dir, row.name, 'index.mjs');
        try {
          row.samples.push(timeNode([bundle], dir));
          // Deployed functions run with NODE_OPTIONS=--enable-source-maps (infra sets it): measure that too.
          row.mapSamples.push(timeNode(['--enable-source-maps', bundle], dir));
          row.sdkSamples.push(timeNode([join(dir, row.name, 'sdk-bundled.mjs')], dir));
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
      `Targets: load < ${MAX_RATIO}× bare, bundle < ${MAX_BYTES / 1024} KB. Bundles built with the CDK's esbuild ` +
        'options (minified ESM, `@aws-sdk/*` external, as deployed; "with maps" = `--enable-source-maps`, also as ' +
        'deployed). The last three columns build the same handler with the AWS SDK bundled as well, for comparison.',
      '',
      '| function | bundle (KB) | load (ms) | × bare | load with maps (ms) | × bare | within targets | ' +
        'SDK bundled too (KB) | its load (ms) | × bare |',
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
      const sdkLoad = median(row.sdkSamples);
      const ok = load / bareMs < MAX_RATIO && row.bytes < MAX_BYTES;
      lines.push(
        `| ${row.name} | ${kb} | ${load.toFixed(1)} | ${(load / bareMs).toFixed(2)} | ${withMaps.toFixed(1)} | ` +
          `${(withMaps / bareMs).toFixed(2)} | ${ok ? 'yes' : 'no'} | ${(row.sdkBytes / 1024).toFixed(1)} | ` +
          `${sdkLoad.toFixed(1)} | ${(sdkLoad / bareMs).toFixed(2)} |`,
      );
    }
    return lines.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
