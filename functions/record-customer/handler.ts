import { parseInput, RecordCustomerInputSchema } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import { recordCustomer } from '../../shared/workflow/record-customer';
import { observability, storeFromEnv } from '../../shared/workflow/runtime';

const store = storeFromEnv();
const deps = { ...observability, buyers: store, orders: store };

/** "Record customer": `{ order, customer }` → PaymentState. */
export const handler = workflowHandler(async (event: unknown) =>
  recordCustomer(deps, parseInput(RecordCustomerInputSchema, event, 'record customer input')),
);
