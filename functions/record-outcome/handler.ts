import { parseInput, RecordOutcomeInputSchema } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import { recordOutcome } from '../../shared/workflow/record-outcome';
import {
  creditOptionsFromEnv,
  eventsOutFromEnv,
  observability,
  storeFromEnv,
} from '../../shared/workflow/runtime';

const store = storeFromEnv();
const deps = {
  ...observability,
  orders: store,
  transfers: store,
  events: eventsOutFromEnv(),
  credit: creditOptionsFromEnv(),
};

/** "Record outcome": the order's final state and error; leaves the open index; publishes what it means. */
export const handler = workflowHandler(async (event: unknown) =>
  recordOutcome(deps, parseInput(RecordOutcomeInputSchema, event, 'record outcome input')),
);
