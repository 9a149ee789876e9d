/**
 * Names the infrastructure gives things: the Lambda folders it bundles, the states of the graph it builds and the
 * state machine itself. They live here, not in shared/, because no handler or use case needs them: the data
 * contract between the graph and the handlers is shared/workflow/contract.ts.
 */

/** Function folder names under `functions/`; each has `handler.ts` exporting `handler`. */
export const FunctionNames = [
  'webhook-intake',
  'dispatch',
  'create-customer',
  'record-customer',
  'await-payment',
  'transfer-credit',
  'reconcile-transfer',
  'record-outcome',
  'sweep',
  'daily-reconciliation',
  'notify',
] as const;
export type FunctionName = (typeof FunctionNames)[number];

/** State names as the graph uses them (they read as sentences). */
export const StateNames = {
  createCustomer: 'Create customer',
  recordCustomer: 'Record customer',
  paymentConfirmed: 'Payment confirmed?',
  waitForPayment: 'Wait for payment',
  transferCredit: 'Transfer credit',
  creditMoved: 'Credit moved?',
  reconcileTransfer: 'Reconcile transfer',
  transferReconciled: 'Transfer reconciled?',
  recordOutcome: 'Record outcome',
  outcomeFailed: 'Outcome failed?',
  done: 'Done',
  failed: 'Provisioning failed',
} as const;

/** Name of the state machine. */
export const STATE_MACHINE_NAME = 'CustomerProvisioning';
