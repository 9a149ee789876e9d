/** The data dir: one local mode at a time, and the keys that must outlive a restart. */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRuntimeInfo } from '../runtime-info';

/** One data dir, one local mode: leveldb would refuse the second opener with an uncatchable error. */
export function claimDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const previous = readRuntimeInfo(dataDir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new Error(
      `local mode is already running for data dir ${dataDir} (pid ${previous.pid}, ${previous.url}); ` +
        'stop it or set LOCAL_DATA_DIR to another folder',
    );
  }
}

/**
 * A generated key kept under the data dir (mode 0600): the naming key (customer names must derive the same way
 * after a restart) and the password key (a welcome after a restart must open what was sealed before it).
 */
export function dataDirKey(dataDir: string, name: 'naming-key' | 'password-key'): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
