// Namespace import: `import { z } from 'zod'` defeats esbuild's tree shaking (see shared/workflow/input.ts).
import * as z from 'zod';
import { EnvNames, intEnv } from '../../shared/config';
import { parseInput } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import {
  creditOptionsFromEnv,
  eventsOutFromEnv,
  observability,
  secretsFromEnv,
  storeFromEnv,
  workflowFromEnv,
  yayFromEnv,
} from '../../shared/workflow/runtime';
import { sweep } from '../../shared/workflow/sweep';

/** The sweep's minimum order age when SWEEP_MIN_AGE_SECONDS is unset: past any dispatch still in flight. */
const DEFAULT_MIN_AGE_SECONDS = 300;

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
  workflow: workflowFromEnv(),
  yay: yayFromEnv(secretsFromEnv()),
  events: eventsOutFromEnv(),
  credit: creditOptionsFromEnv(),
};
const options = {
  paymentWindowSeconds: intEnv(EnvNames.PAYMENT_WINDOW_SECONDS, undefined),
  minAgeSeconds: intEnv(EnvNames.SWEEP_MIN_AGE_SECONDS, DEFAULT_MIN_AGE_SECONDS, process.env, {
    allowZero: true,
  }),
};

/** EventBridge Scheduler, every 15 minutes; an input's `minAgeSeconds` applies to that run only. */
export const handler = workflowHandler(async (event: unknown) => {
  const { minAgeSeconds = options.minAgeSeconds } = parseInput(SweepInputSchema, event ?? {}, 'sweep input');
  return sweep(deps, { ...options, minAgeSeconds });
});
