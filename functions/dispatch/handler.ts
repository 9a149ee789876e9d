import type { EventBridgeEvent } from 'aws-lambda';
import { OrderEventSchema } from '../../shared/domain/order-event';
import { dispatchOrderEvent } from '../../shared/workflow/dispatch';
import { parseInput } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import {
  creditOptionsFromEnv,
  eventsOutFromEnv,
  observability,
  storeFromEnv,
  workflowFromEnv,
} from '../../shared/workflow/runtime';

const store = storeFromEnv();
const deps = {
  ...observability,
  orders: store,
  transfers: store,
  payments: store,
  workflow: workflowFromEnv(),
  events: eventsOutFromEnv(),
  credit: creditOptionsFromEnv(),
};

/** Bus rule target: one normalized order event (`detail`) → record, start, resume or flag. */
export const handler = workflowHandler(async (event: EventBridgeEvent<string, unknown>) =>
  dispatchOrderEvent(deps, parseInput(OrderEventSchema, event.detail, 'event detail')),
);
