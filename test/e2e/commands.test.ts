import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/local/lambda';
import { E2E_SECRETS } from './support';

/** Runs one of the package's commands (`tsx <script>`, relative to the repository) the way npm does, with a clean env. */
function run(script: string, env: Record<string, string>, args: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo', () => {
  it('provisions a paid and an asynchronous order end to end and exits 0', async () => {
    const result = await run('infra/local/demo.ts', { LOCAL_MAX_WAIT_SECONDS: '10', ...E2E_SECRETS });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Demo finished: both orders fulfilled, both buyers welcomed, the late payment receipted.',
    );
    expect(result.stdout).toContain('Subject: Your calling account is ready');
    expect(result.stdout).toContain('Subject: £5.00 added to your calling account');
    expect(result.stdout).toMatch(/\| +Password: +•+ \(in the \.eml\)/);
    expect(result.stdout).toMatch(/Wait for payment\s+ok/);
    expect(result.stdout).toMatch(/customer \S+ \(Geoff Wilson\) \S+: balance 10\.000/);
    expect(result.stdout).toMatch(/customer \S+ \(Ada Lovelace\) \S+: balance 5\.000/);
    for (const secret of Object.values(E2E_SECRETS))
      expect(result.stdout + result.stderr).not.toContain(secret);
  }, 90_000);
});

describe('npm start', () => {
  it('exits 1 naming the variable when the configuration is bad', async () => {
    const result = await run('infra/local/start.ts', { PORT: 'eighty' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'local mode failed to start: environment variable PORT must be an integer',
    );
  });

  it('exits 1 naming the option when -c is not key=value', async () => {
    const result = await run('infra/local/start.ts', {}, ['-c', 'provisioning:stores']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('local mode failed to start: option -c must be <context key>=<value>');
  });

  it('synthesizes with the -c context, failing on a bad value naming the key before anything listens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'yay-start-context-'));
    try {
      const result = await run('infra/local/start.ts', { LOCAL_DATA_DIR: dataDir, PORT: '0' }, [
        '-c',
        'provisioning:stores={"shop.example.com":{"storeFront":"abc"}}',
      ]);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'local mode failed to start: context provisioning:stores.shop.example.com.storeFront must be a UUID, got "abc"',
      );
      expect(result.stdout).not.toContain('Local mode ready');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('npm run ops', () => {
  it('exits 2 with the usage when the command is unknown', async () => {
    const result = await run('ops/main.ts', {}, ['frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('usage: npm run ops --');
  });
});
