import { reconcileCustomers } from '../../shared/workflow/daily-reconciliation';
import { workflowHandler } from '../../shared/workflow/lambda';
import { observability, secretsFromEnv, storeFromEnv, yayFromEnv } from '../../shared/workflow/runtime';

const deps = { ...observability, buyers: storeFromEnv(), yay: yayFromEnv(secretsFromEnv()) };

/** EventBridge Scheduler, daily: recorded customers against Yay's list; drift as a metric. */
export const handler = workflowHandler(async () => reconcileCustomers(deps));
