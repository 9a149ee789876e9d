import { awaitPayment } from '../../shared/workflow/await-payment';
import { AwaitPaymentInputSchema, parseInput } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import { observability, storeFromEnv, workflowFromEnv } from '../../shared/workflow/runtime';

const deps = { ...observability, orders: storeFromEnv(), workflow: workflowFromEnv() };

/** "Wait for payment" (`.waitForTaskToken`): stores the token, or resumes at once. The result is ignored. */
export const handler = workflowHandler(async (event: unknown) => ({
  action: await awaitPayment(deps, parseInput(AwaitPaymentInputSchema, event, 'await payment input')),
}));
