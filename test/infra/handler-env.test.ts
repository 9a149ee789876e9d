import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { handlerEntry, repoRoot } from '../../infra/constructs/bundling';
import { type FunctionName, FunctionNames } from '../../infra/names';
import { functionProperties, synthesized } from './synth';

/**
 * The contract between infra and the handlers: each handler builds its config and clients at import and
 * throws ConfigInvalid naming any missing variable. Importing every handler in a fresh process with exactly
 * the environment the template gives its function (references stand in as placeholders) proves no deployed
 * function would fail its cold start for want of a variable.
 */
const { provisioning } = synthesized();

function templateEnvironment(name: FunctionName): Record<string, string> {
  const variables = (
    functionProperties(provisioning, name).Environment as { Variables: Record<string, unknown> }
  ).Variables;
  return Object.fromEntries(
    Object.entries(variables).map(([key, value]) => [
      key,
      // Tokens resolve at deploy time; any non-empty text satisfies an import-time presence check.
      typeof value === 'string' ? value : `resolved-at-deploy:${key}`,
    ]),
  );
}

function importInFreshProcess(name: FunctionName): Promise<{ code: number | null; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    // What Lambda itself sets; credentials are fake and nothing is called at import.
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'test-only-not-a-secret',
    AWS_SECRET_ACCESS_KEY: 'test-only-not-a-secret',
    ...templateEnvironment(name),
    // The template enables source maps for bundles; the handler runs from TypeScript here.
    NODE_OPTIONS: '',
  };
  const script = `await import(${JSON.stringify(pathToFileURL(handlerEntry(name)).href)});`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('handler environment from the template', () => {
  it.each(FunctionNames)('lets %s load with only the environment its function is given', async (name) => {
    const { code, stderr } = await importInFreshProcess(name);
    expect(stderr.split('\n').find((line) => /ConfigInvalid|Error/.test(line)) ?? '', name).toBe('');
    expect(code, name).toBe(0);
  });
});
