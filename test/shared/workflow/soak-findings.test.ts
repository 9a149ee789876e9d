import { beforeEach, describe, expect, it } from 'vitest';
import type { DynamoStore } from '../../../shared/store/dynamo-store';
import { awaitPayment } from '../../../shared/workflow/await-payment';
import { dispatchOrderEvent } from '../../../shared/workflow/dispatch';
import { recordOutcome } from '../../../shared/workflow/record-outcome';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import type { FakeYay } from './fakes';
import { orderEvent, paymentFact, refundEvent } from './fixtures';
import { type WorkflowDeps, workflowHarness } from './harness';

const TOKEN = 'test-only-task-token-not-a-secret';

/**
 * Production bugs the chaos soak (`npm run bench -- soak`, tools/soak/) found, each reduced to the few calls that
 * show it. It was `it.fails` until fixed; it now guards the fix.
 */
describe('soak findings', () => {
  const h = workflowHarness();
  let store: DynamoStore;
  let deps: WorkflowDeps;
  let yay: FakeYay;
  beforeEach(() => {
    ({ store, deps, yay } = h);
  });

  // Soak seed 20261127 (520 orders), path refund_before_credit: orders/create (pending) → refunds/create →
  // orders/paid 5 ms later. It first showed a confirmation racing the refund that ended the wait, leaving a paid and
  // refunded order with no outcome a person could see. With money facts neither event ends anything by its kind:
  // the wait continues through the refund, the payment resumes it, and the money (10.00 paid, 10.00 refunded) owes
  // nothing — refunded, no credit, nobody needed.
  it('neither credits nor parks an order refunded in full just before its payment is confirmed', async () => {
    const placed = orderEvent();
    await dispatchOrderEvent(deps, placed);
    await awaitPayment(deps, { orderKey: placed.orderKey, taskToken: TOKEN });

    const refund = await dispatchOrderEvent(deps, refundEvent(placed));
    const confirmed = await dispatchOrderEvent(deps, {
      ...placed,
      kind: 'payment_confirmed',
      facts: [paymentFact()],
      sourceEventId: 'evt_confirm',
    });
    const customer = { uuid: yay.addCustomer('cname'), name: 'cname', created: true };
    const transfer = await transferCredit(deps, { order: placed, customer });
    await recordOutcome(deps, { order: placed, outcome: 'refunded', transfer });

    expect(refund).toEqual({ action: 'refund_recorded', detail: 'PENDING' });
    expect(confirmed).toEqual({ action: 'resumed' });
    expect(transfer).toMatchObject({ status: 'CANCELLED', amount: 0 });
    expect(yay.transferCalls).toEqual([]);
    expect(await store.get(placed.orderKey)).toMatchObject({
      state: 'refunded',
      payment: 'paid',
      refunded: true,
    });
    expect(await store.listAttention()).toEqual([]);
    expect(await store.listOwed()).toEqual([]);
  });
});
