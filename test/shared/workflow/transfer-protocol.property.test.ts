import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransferOutcomeUnknown, YayRateLimited, YayRejected, YayUnavailable } from '../../../shared/errors';
import { reconcileTransfer } from '../../../shared/workflow/reconcile-transfer';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import type { TransferFault } from './fakes';
import { orderEvent } from './fixtures';
import { workflowHarness } from './harness';

const FAULTS: (TransferFault | 'ok')[] = [
  'ok',
  'rejected',
  'never-sent',
  'rate-limited',
  'lost-answer',
  'timeout-not-applied',
  'process-error',
];

type Ending = 'applied' | 'rejected' | 'needs_review' | 'gave_up';

describe('the transfer protocol under any sequence of Yay faults', () => {
  const h = workflowHarness();

  it('never moves the credit twice, and moves it exactly once whenever it ends applied', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...FAULTS), { maxLength: 8 }),
        fc.array(fc.boolean(), { maxLength: 8 }),
        async (faults, readable) => {
          // A table and a Yay of its own for each run.
          const { store, yay, obs } = await h.world();
          const uuid = yay.addCustomer('cproperty', 1_000);
          const order = orderEvent({ kind: 'paid' });
          const customer = { uuid, name: 'cproperty', created: true };
          yay.transferFaults.push(
            ...(faults.map((fault) => (fault === 'ok' ? undefined : fault)) as TransferFault[]),
          );
          const deps = { ...obs.observability, orders: store, transfers: store, leases: store, yay };

          // The state machine: retry what is retryable, reconcile an unknown outcome, stop on a decision.
          let ending: Ending = 'gave_up';
          for (let step = 0, reconciles = 0; step < 20 && ending === 'gave_up'; step++) {
            try {
              await transferCredit(deps, { order, customer });
              ending = 'applied';
            } catch (error) {
              if (error instanceof YayRejected) ending = 'rejected';
              else if (error instanceof TransferOutcomeUnknown) {
                yay.customerBalanceReadable = readable[reconciles++] ?? true;
                const { decision } = await reconcileTransfer(deps, order.orderKey);
                if (decision === 'applied') ending = 'applied';
                if (decision === 'needs_review') ending = 'needs_review';
              } else if (!(error instanceof YayUnavailable || error instanceof YayRateLimited)) {
                throw error;
              }
            }
          }

          expect(yay.applied.length).toBeLessThanOrEqual(1);
          if (ending === 'applied') expect(yay.applied).toHaveLength(1);
          if (ending === 'rejected') expect(yay.applied).toHaveLength(0);
          expect(ending).not.toBe('gave_up');
          const intent = await store.getIntent(order.orderKey);
          const expected = {
            applied: 'APPLIED',
            rejected: 'REJECTED',
            needs_review: 'NEEDS_REVIEW',
          } as const;
          expect(intent?.status).toBe(expected[ending as keyof typeof expected]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
