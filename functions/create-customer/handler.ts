import { storeFrontLookup, storeFrontsFromEnv } from '../../shared/store-fronts';
import { createCustomer } from '../../shared/workflow/create-customer';
import { ExecutionInputSchema, parseInput } from '../../shared/workflow/input';
import { workflowHandler } from '../../shared/workflow/lambda';
import {
  namingKeyFromEnv,
  notificationStoresFromEnv,
  observability,
  passwordKeyFromEnv,
  secretsFromEnv,
  storeFromEnv,
  yayFromEnv,
} from '../../shared/workflow/runtime';

const secrets = secretsFromEnv();
const deps = {
  ...observability,
  buyers: storeFromEnv(),
  yay: yayFromEnv(secrets),
  namingKey: namingKeyFromEnv(secrets),
  passwordKey: passwordKeyFromEnv(secrets),
  passwords: notificationStoresFromEnv().passwords,
  storeFrontFor: storeFrontLookup(storeFrontsFromEnv()),
};

/** "Create customer": execution input → CustomerRef (reused, created or adopted). */
export const handler = workflowHandler(async (event: unknown) =>
  createCustomer(deps, parseInput(ExecutionInputSchema, event, 'execution input')),
);
