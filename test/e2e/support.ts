import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { type LocalRuntime, type StartLocalOptions, startLocal } from '../../local/runtime/start-local';
import { type SampleBuyer, sampleId } from '../../local/samples';
import type { YaySandbox } from '../../local/yay-sandbox/server';
import type { Millis } from '../../shared/domain/credit';

/**
 * Obvious fakes for every secret local mode is given in the end-to-end tests. The tests grep all output
 * for them: none may ever be printed.
 */
export const E2E_SECRETS = {
  STRIPE_WEBHOOK_SECRET: 'whsec_e2e-test-only-not-a-secret',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-e2e-test-only-not-a-secret',
  WOOCOMMERCE_WEBHOOK_SECRET: 'woocommerce-e2e-test-only-not-a-secret',
  YAY_PASSWORD: 'yay-e2e-test-only-not-a-secret',
} as const;

/** Sandbox credentials matching {@link E2E_SECRETS}. */
export const E2E_YAY = { reseller: 'e2e-reseller', user: 'e2e-user', password: E2E_SECRETS.YAY_PASSWORD };

/** The environment local mode reads in the tests: fakes only, nothing from the developer's shell or .env. */
export function e2eEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...E2E_SECRETS,
    YAY_RESELLER: E2E_YAY.reseller,
    YAY_USER: E2E_YAY.user,
    ...extra,
  };
}

/** A buyer no other test uses, so sandbox customers can be counted per test. */
export function uniqueBuyer(label: string): SampleBuyer {
  const tag = randomBytes(4).toString('hex');
  return {
    name: `E2e ${label} ${tag}`,
    email: `e2e-${label}-${tag}@example.com`,
    customerId: sampleId('cus'),
  };
}

/** The sandbox customers created for `buyer` (by contact name), with their transfers. */
export function yayCustomersOf(sandbox: YaySandbox, buyer: SampleBuyer) {
  const state = sandbox.state;
  return state.customers
    .filter((customer) => customer.contact_name === buyer.name)
    .map((customer) => ({
      ...customer,
      transfers: state.transfers.filter((transfer) => transfer.customerUuid === customer.uuid),
    }));
}

/** Polls `check` every 25 ms until it returns a value other than undefined, or fails naming `what`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const TEN_POUNDS = 10_000 as Millis;

/**
 * Keeps a copy of everything this process writes to stdout and stderr (still written through), for the checks
 * that no secret or password is ever printed. Undone by `vi.restoreAllMocks()`.
 */
export function captureProcessOutput(written: string[]): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return original(chunk, ...rest);
    }) as typeof stream.write);
  }
}

/** One local mode for a test file (see {@link useLocalMode}). */
export interface E2eLocalMode {
  /** The running local mode, from the file's first test on. */
  readonly runtime: LocalRuntime;
  /** Its data dir (for `ops --data-dir`). */
  readonly dataDir: string;
  /** Its in-process Yay sandbox. */
  sandbox(): YaySandbox;
}

/**
 * Starts local mode before a file's tests (the synthesis and dynalite are the slow part, so one per file) on a
 * throw-away data dir with the fake secrets of {@link e2eEnv}, no schedules and port 0; stops it and removes the dir
 * after. `label` names the dir; `resellerBalance`, when given, is set on the sandbox once it runs.
 */
export function useLocalMode(
  label: string,
  options: {
    maxWaitSeconds: number;
    env?: Record<string, string>;
    context?: StartLocalOptions['context'];
    print?: StartLocalOptions['print'];
    logFormat?: 'human' | 'json';
    resellerBalance?: Millis;
  },
): E2eLocalMode {
  let runtime: LocalRuntime | undefined;
  let dataDir: string | undefined;
  const local: E2eLocalMode = {
    get runtime() {
      if (!runtime) throw new Error('local mode is not running: use it inside a test');
      return runtime;
    },
    get dataDir() {
      if (!dataDir) throw new Error('local mode is not running: use it inside a test');
      return dataDir;
    },
    sandbox() {
      const sandbox = local.runtime.sandbox;
      if (!sandbox) throw new Error('the e2e runtime runs the in-process sandbox');
      return sandbox;
    },
  };
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `yay-e2e-${label}-`));
    runtime = await startLocal({
      env: e2eEnv(options.env),
      overrides: {
        port: 0,
        dataDir,
        maxWaitSeconds: options.maxWaitSeconds,
        ...(options.logFormat ? { logFormat: options.logFormat } : {}),
      },
      print: options.print ?? (() => undefined),
      schedules: false,
      ...(options.context ? { context: options.context } : {}),
    });
    if (options.resellerBalance !== undefined) local.sandbox().setResellerBalance(options.resellerBalance);
  });
  afterAll(async () => {
    await runtime?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return local;
}
