import { EnvNames, intEnv } from '../../shared/config';
import { ExecutionInputSchema, parseInput } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import { reconcileTransfer } from '../../shared/workflow/reconcile-transfer';
import { observability, secretsFromEnv, storeFromEnv, yayFromEnv } from '../../shared/workflow/runtime';

const store = storeFromEnv();
const deps = {
  ...observability,
  transfers: store,
  leases: store,
  yay: yayFromEnv(secretsFromEnv()),
  byBalanceUpTo: intEnv(EnvNames.RECONCILE_BY_BALANCE_UP_TO, 20_000, process.env, { allowZero: true }),
};

/** "Reconcile transfer": execution state → ReconcileResult (applied / retry / needs_review). */
export const handler = workflowHandler(async (event: unknown) =>
  reconcileTransfer(deps, parseInput(ExecutionInputSchema, event, 'reconcile input').order.orderKey),
);
