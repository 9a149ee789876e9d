import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app-factory';
import { ESM_REQUIRE_BANNER } from '../../infra/constructs/bundling';
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
  it('bundles every function into its own ESM asset with a source map', () => {
    const seen = new Set<string>();
    for (const name of FunctionNames) {
      const dir = assetDir(name);
      expect(existsSync(join(dir, 'index.mjs')), name).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), name).toBe(true);
      expect(functionProperties(provisioning, name).Handler, name).toBe('index.handler');
      seen.add(dir);
    }
    expect(seen.size).toBe(FunctionNames.length);
  });

  it('defines require for CommonJS dependencies and leaves the AWS SDK to the runtime', () => {
    for (const name of FunctionNames) {
      const code = readFileSync(join(assetDir(name), 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), name).toBe(true);
      // Minified: lines run to thousands of characters (unminified code averages well under 100).
      expect(code.length / code.split('\n').length, name).toBeGreaterThan(1000);
      // AWS SDK clients appear only as import specifiers, never as bundled code.
      expect(code, name).toMatch(/from\s*"@aws-sdk\/client-/);
      expect(code, name).not.toMatch(/class \w*DynamoDBClient extends/);
    }
  });

  it('ships nothing but the bundle and its map in each asset', () => {
    for (const name of FunctionNames) {
      expect(readdirSync(assetDir(name)).sort(), name).toEqual(['index.mjs', 'index.mjs.map']);
    }
  });
});
