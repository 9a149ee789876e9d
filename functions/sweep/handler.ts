import { EnvNames, intEnv } from '../../shared/config';
import { workflowHandler } from '../../shared/workflow/lambda';
import {
  observability,
  secretsFromEnv,
  storeFromEnv,
  workflowFromEnv,
  yayFromEnv,
} from '../../shared/workflow/runtime';
import { sweep } from '../../shared/workflow/sweep';

const store = storeFromEnv();
const deps = {
  ...observability,
  orders: store,
  transfers: store,
  leases: store,
  workflow: workflowFromEnv(),
  yay: yayFromEnv(secretsFromEnv()),
};
const options = { paymentWindowSeconds: intEnv(EnvNames.PAYMENT_WINDOW_SECONDS, undefined) };

/** EventBridge Scheduler, every 15 minutes: the schedule's payload is not used. */
export const handler = workflowHandler(async () => sweep(deps, options));
