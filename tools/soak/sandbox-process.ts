/**
 * The Yay sandbox in its own process (`bin/yay-sandbox.ts --admin`), driven through its loopback control port:
 * faults, fault counts, the ledger. It runs apart from local mode so that its ledger outlives every kill, as Yay
 * outlives us.
 */
import { spawn } from 'node:child_process';
import { REPO_ROOT } from '../../local/aws/lambda';
import type { SandboxFaults, SandboxState } from '../../local/yay-sandbox/server';
import { type Exit, endProcess, jsonLine, LoggedChild, openLog } from './child-process';

/** The sandbox's ledger as its control port answers it. */
export type SandboxLedgerState = SandboxState & { held: number };

/** A Yay sandbox in its own process (`bin/yay-sandbox.ts --admin`), and its control port. */
export interface SandboxProcess {
  readonly url: string;
  readonly adminUrl: string;
  setFaults(faults: SandboxFaults): Promise<void>;
  faultCounts(): Promise<Record<string, number>>;
  state(): Promise<SandboxLedgerState>;
  stop(): Promise<Exit>;
}

async function control(url: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await response.json()) as unknown;
  if (!response.ok) {
    throw new Error(`sandbox control ${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
  }
  return json;
}

export async function startSandboxProcess(options: {
  env: NodeJS.ProcessEnv;
  /** GBP, three decimals, e.g. "100000.000". */
  resellerBalance: string;
  logFile: string;
}): Promise<SandboxProcess> {
  const log = openLog(options.logFile);
  const { child, value } = await LoggedChild.waitForLine(
    (onLine) =>
      new LoggedChild(
        spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'bin/yay-sandbox.ts',
            '--admin',
            '--json',
            '--reseller-balance',
            options.resellerBalance,
          ],
          { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...options.env, PORT: '0' } },
        ),
        log,
        onLine,
      ),
    (line) => {
      const json = jsonLine(line);
      return json?.message === 'yay sandbox ready' ? (json as { url: string; adminUrl: string }) : undefined;
    },
    60_000,
    'the Yay sandbox',
  );
  const { url, adminUrl } = value;
  return {
    url,
    adminUrl,
    async setFaults(faults) {
      await control(`${adminUrl}/faults`, 'PUT', faults);
    },
    async faultCounts() {
      return ((await control(`${adminUrl}/fault-counts`, 'GET')) as { faultCounts: Record<string, number> })
        .faultCounts;
    },
    async state() {
      return (await control(`${adminUrl}/state`, 'GET')) as SandboxLedgerState;
    },
    async stop() {
      const exit = await endProcess(child, 'SIGTERM');
      await new Promise<void>((resolve) => log.end(resolve));
      return exit;
    },
  };
}
