import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * aws-cdk-lib caches asset fingerprints under `$HOME/.cdk/cache` on every synth, with no switch to turn it
 * off. The tests synthesize many times: give them a throwaway HOME so they leave nothing on the machine.
 * Worker processes are forked after this runs, so they inherit it.
 */
export default function setup(): () => void {
  const home = mkdtempSync(join(tmpdir(), 'yay-test-home-'));
  const original = process.env.HOME;
  process.env.HOME = home;
  return () => {
    process.env.HOME = original;
    rmSync(home, { recursive: true, force: true });
  };
}
