import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app-factory';
import { FunctionNames } from '../../infra/names';
import { functionProperties } from './synth';

/** The one test file that bundles for real: local esbuild, no Docker, no network. */
describe('buildApp with bundling', () => {
  // Made in beforeAll, not at collection, so a filtered-out run leaves no empty dir behind.
  let outdir = '';
  let provisioning: Template;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-bundle-test-'));
    const built = buildApp({ bundle: true, outdir });
    built.app.synth();
    provisioning = Template.fromStack(built.provisioning);
  });
  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  const assetDir = (name: (typeof FunctionNames)[number]): string => {
    const code = functionProperties(provisioning, name).Code as { S3Key: string };
    return join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  };

  // Size and load time against their targets are the bundle benchmark's job (`npm run bench -- bundles`).
  it('bundles every function into its own CommonJS asset with a source map', () => {
    const seen = new Set<string>();
    for (const name of FunctionNames) {
      const dir = assetDir(name);
      expect(existsSync(join(dir, 'index.js')), name).toBe(true);
      expect(existsSync(join(dir, 'index.js.map')), name).toBe(true);
      expect(functionProperties(provisioning, name).Handler, name).toBe('index.handler');
      seen.add(dir);
    }
    expect(seen.size).toBe(FunctionNames.length);
  });

  it('bundles the AWS SDK clients in, minified, with no module left to resolve at run time but Node built-ins', () => {
    for (const name of FunctionNames) {
      const code = readFileSync(join(assetDir(name), 'index.js'), 'utf8');
      // Minified: lines run to thousands of characters (unminified code averages well under 100).
      expect(code.length / code.split('\n').length, name).toBeGreaterThan(1000);
      const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1] as string);
      expect(
        required.filter((id) => !id.startsWith('node:') && !BUILTINS.has(id) && !OPTIONAL.has(id)),
        name,
      ).toEqual([]);
    }
  });

  it('loads each bundle in a fresh Node process and finds its handler, as the Lambda runtime does', () => {
    for (const name of FunctionNames) {
      const result = spawnSync(
        process.execPath,
        [
          '-e',
          `const m = require(${JSON.stringify(join(assetDir(name), 'index.js'))}); if (typeof m.handler !== 'function') process.exit(3);`,
        ],
        { env: { PATH: process.env.PATH ?? '', ...functionEnvironment(name) }, encoding: 'utf8' },
      );
      expect(result.status, `${name}: ${result.stderr.split('\n').slice(0, 3).join(' ')}`).toBe(0);
    }
  });

  it('ships nothing but the bundle and its map in each asset', () => {
    for (const name of FunctionNames) {
      expect(readdirSync(assetDir(name)).sort(), name).toEqual(['index.js', 'index.js.map']);
    }
  });

  /** The function's template environment, references replaced by fake ARNs (the handlers only check their form). */
  function functionEnvironment(name: (typeof FunctionNames)[number]): Record<string, string> {
    const variables = (
      functionProperties(provisioning, name).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const env: Record<string, string> = { AWS_REGION: 'eu-west-2' };
    for (const [key, value] of Object.entries(variables)) {
      env[key] =
        typeof value === 'string'
          ? value
          : key.endsWith('_ARN')
            ? `arn:aws:secretsmanager:eu-west-2:000000000000:secret:${key.toLowerCase()}-AbCdEf`
            : `test-${key.toLowerCase()}`;
    }
    return env;
  }
});

const BUILTINS = new Set(builtinModules);
/** Required only inside the SDK's try/catch, for SigV4a signing, which nothing here uses. */
const OPTIONAL = new Set(['@aws-sdk/signature-v4-crt']);
