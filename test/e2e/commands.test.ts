import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/aws/lambda';
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
    const result = await run('bin/demo.ts', { LOCAL_MAX_WAIT_SECONDS: '10', ...E2E_SECRETS });

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
    const result = await run('bin/start.ts', { PORT: 'eighty' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'local mode failed to start: environment variable PORT must be an integer',
    );
  });

  it('exits 1 naming the option when -c is not key=value', async () => {
    const result = await run('bin/start.ts', {}, ['-c', 'provisioning:stores']);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('local mode failed to start: option -c must be <context key>=<value>');
  });

  it('synthesizes with the -c context, failing on a bad value naming the key before anything listens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'yay-start-context-'));
    try {
      const result = await run('bin/start.ts', { LOCAL_DATA_DIR: dataDir, PORT: '0' }, [
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
    const result = await run('bin/ops.ts', {}, ['frobnicate']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('usage: npm run ops --');
  });
});

/** A command left running, its stdout read line by line. */
function start(script: string, env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  const lines: string[] = [];
  let buffered = '';
  const waiting: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of waiting.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    /** The first line starting with `prefix`; rejects when the command exits first or after 60 s. */
    line(prefix: string): Promise<string> {
      return this.lineWhere((line) => line.startsWith(prefix), `starting "${prefix}"`);
    },
    /** The first line `matches`; rejects when the command exits first or after 60 s. */
    async lineWhere(matches: (line: string) => boolean, what: string): Promise<string> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const found = lines.find(matches);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`${script} printed no line ${what}:\n${lines.join('\n')}`);
        }
        await Promise.race([new Promise<void>((resolve) => waiting.push(resolve)), exited, sleep(500)]);
      }
    },
    async stop(): Promise<void> {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('npm start and npm run console', () => {
  it('each print one line beginning "console" with the full URL and a token of its own start, which opens the console', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'yay-console-line-'));
    const local = start('bin/start.ts', { LOCAL_DATA_DIR: dataDir, PORT: '0' });
    let standalone: ReturnType<typeof start> | undefined;
    try {
      const localLine = await local.line('console');
      standalone = start('bin/console.ts', {}, ['--data-dir', dataDir, '--port', '0']);
      const standaloneLine = await standalone.line('console');
      const [, localUrl] = localLine.split(/\s+/);
      const [, standaloneUrl] = standaloneLine.split(/\s+/);
      const opened = await fetch(localUrl as string, { redirect: 'manual' });
      const refused = await fetch(new URL('/console/', localUrl).href);
      const standaloneOpened = await fetch(standaloneUrl as string, { redirect: 'manual' });

      const url = /^http:\/\/127\.0\.0\.1:\d+\/console\/\?token=([A-Za-z0-9_-]{32})$/;
      expect(localLine).toMatch(/^console +http:/);
      expect(localUrl).toMatch(url);
      expect(standaloneLine).toMatch(
        /^console http:.*\(local mode at http:\/\/127\.0\.0\.1:\d+; Ctrl-C to stop\)$/,
      );
      expect(standaloneUrl).toMatch(url);
      expect(standaloneUrl?.match(url)?.[1]).not.toBe(localUrl?.match(url)?.[1]);
      expect(opened.status).toBe(303);
      expect(opened.headers.get('set-cookie')).toContain('HttpOnly; SameSite=Strict');
      expect([refused.status, await refused.text()]).toEqual([401, '']);
      expect(standaloneOpened.status).toBe(303);
    } finally {
      await standalone?.stop();
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('npm start, then the sample command it prints', () => {
  it('prints the one command that sends a signed sample order, and that command gets the order fulfilled', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'yay-start-sample-'));
    const local = start('bin/start.ts', { LOCAL_DATA_DIR: dataDir, PORT: '0', LOCAL_MAX_WAIT_SECONDS: '10' });
    try {
      const printed = (await local.line('  npm run send-sample')).trim();
      const sent = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        // The command exactly as printed, through a shell and npm, as a person pastes it.
        const child = spawn('sh', ['-c', printed], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { PATH: process.env.PATH, HOME: process.env.HOME },
        });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
        });
        child.once('exit', (code) => resolve({ code, stdout }));
      });
      const orderKey = /^order (stripe:default:cs_test_\S+) /m.exec(sent.stdout)?.[1];

      expect(printed).toMatch(/^npm run send-sample -- --url http:\/\/127\.0\.0\.1:\d+ paid$/);
      expect(sent.code).toBe(0);
      expect(sent.stdout).toMatch(/^202 /m);
      expect(orderKey).toBeDefined();
      await local.lineWhere(
        (line) => line.includes(`${orderKey}  -  execution succeeded`),
        `saying ${orderKey} succeeded`,
      );
    } finally {
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
