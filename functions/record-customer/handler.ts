import { parseInput, RecordCustomerInputSchema } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import { recordCustomer } from '../../shared/workflow/record-customer';
import { eventsOutFromEnv, observability, storeFromEnv } from '../../shared/workflow/runtime';

const store = storeFromEnv();
const deps = { ...observability, buyers: store, orders: store, events: eventsOutFromEnv() };

/** "Record customer": `{ order, customer }` → PaymentState; the customer's first order publishes Customer Created. */
export const handler = workflowHandler(async (event: unknown) =>
  recordCustomer(deps, parseInput(RecordCustomerInputSchema, event, 'record customer input')),
);
