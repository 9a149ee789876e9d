import { parseInput, TransferInputSchema } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import {
  creditOptionsFromEnv,
  observability,
  secretsFromEnv,
  storeFromEnv,
  yayFromEnv,
} from '../../shared/workflow/runtime';
import { transferCredit } from '../../shared/workflow/transfer-credit';

const store = storeFromEnv();
const deps = {
  ...observability,
  orders: store,
  transfers: store,
  leases: store,
  yay: yayFromEnv(secretsFromEnv()),
  credit: creditOptionsFromEnv(),
};

/** "Transfer credit": `{ order, customer }` → TransferResult, exactly once (docs/design.md). */
export const handler = workflowHandler(async (event: unknown) =>
  transferCredit(deps, parseInput(TransferInputSchema, event, 'transfer credit input')),
);
