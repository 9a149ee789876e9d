// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import { EnvNames, intEnv } from '../../shared/config';
import { ConfigInvalid } from '../../shared/errors';
import { parseInput } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import {
  observability,
  secretsFromEnv,
  storeFromEnv,
  workflowFromEnv,
  yayFromEnv,
} from '../../shared/workflow/runtime';
import { sweep } from '../../shared/workflow/sweep';

/** The sweep's minimum order age when SWEEP_MIN_AGE_SECONDS is unset: past any dispatch still in flight. */
const DEFAULT_MIN_AGE_SECONDS = 300;

/** SWEEP_MIN_AGE_SECONDS, validated as `intEnv` validates, except that 0 (no minimum age) is allowed. */
function minAgeSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const name = EnvNames.SWEEP_MIN_AGE_SECONDS;
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return DEFAULT_MIN_AGE_SECONDS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigInvalid(`environment variable ${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

/**
 * What one invocation may override. The schedule sends `{job, scheduledTime}` and overrides nothing; local
 * mode's start-up sweep sends `minAgeSeconds: 0`, since nothing of a killed process is still in flight.
 */
const SweepInputSchema = z.object({ minAgeSeconds: z.number().int().nonnegative().optional() });

const store = storeFromEnv();
const deps = {
  ...observability,
  orders: store,
  transfers: store,
  leases: store,
  workflow: workflowFromEnv(),
  yay: yayFromEnv(secretsFromEnv()),
};
const options = {
  paymentWindowSeconds: intEnv(EnvNames.PAYMENT_WINDOW_SECONDS, undefined),
  minAgeSeconds: minAgeSecondsFromEnv(),
};

/** EventBridge Scheduler, every 15 minutes; an input's `minAgeSeconds` applies to that run only. */
export const handler = workflowHandler(async (event: unknown) => {
  const { minAgeSeconds = options.minAgeSeconds } = parseInput(SweepInputSchema, event ?? {}, 'sweep input');
  return sweep(deps, { ...options, minAgeSeconds });
});
