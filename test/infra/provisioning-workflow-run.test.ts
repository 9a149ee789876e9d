import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROVISIONING_FAILED, RetryPolicies } from '../../infra/constructs/provisioning-workflow';
import { StateNames } from '../../infra/names';
import { ErrorNames } from '../../shared/errors';
import { stateMachineDefinition, synthesized } from './synth';

/**
 * Runs the synthesized definition on aws-local-stepfunctions (the engine local mode uses) with each Task
 * answered by a scripted step, so the paths through the graph — not the handlers, tested elsewhere — are
 * exercised end to end: retries, catches, choices and the outcome each path records.
 */
const { provisioning } = synthesized();
const definition = JSON.parse(
  JSON.stringify(stateMachineDefinition(provisioning)).replace(
    /GetAtt:([A-Za-z0-9]+)/g,
    'arn:aws:lambda:eu-west-2:000000000000:function:$1',
  ),
) as StateMachineDefinition;

type Step = (input: Record<string, unknown>) => unknown;
/** An error as a handler throws it: Lambda reports `name` as the error the state machine matches. */
const failure = (name: string, message = `${name} (test)`) => Object.assign(new Error(message), { name });

const TASKS = [
  StateNames.createCustomer,
  StateNames.recordCustomer,
  StateNames.waitForPayment,
  StateNames.transferCredit,
  StateNames.reconcileTransfer,
  StateNames.recordOutcome,
] as const;

interface Run {
  status: 'succeeded' | 'failed';
  /** Input of each Task invocation, in order. */
  calls: Array<{ state: string; input: Record<string, unknown> }>;
  /** What Record outcome was given. */
  recorded?: Record<string, unknown>;
  error?: unknown;
}

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

async function run(
  scripts: Partial<Record<(typeof TASKS)[number], Step | Step[]>>,
  paid = true,
): Promise<Run> {
  const calls: Run['calls'] = [];
  const counters = new Map<string, number>();
  const defaults: Record<string, Step> = {
    [StateNames.createCustomer]: () => ({ uuid: 'cust-uuid-1', name: 'yay-test-name', created: true }),
    [StateNames.recordCustomer]: () => ({ paid }),
    [StateNames.waitForPayment]: () => ({ paid: true }),
    [StateNames.transferCredit]: () => ({ status: 'APPLIED', amount: 10_000 }),
    [StateNames.reconcileTransfer]: () => ({ decision: 'applied', reason: 'balance moved by the amount' }),
    [StateNames.recordOutcome]: () => ({ recorded: true }),
  };
  const handlers: LocalHandlers = Object.fromEntries(
    TASKS.map((state) => [
      state,
      async (input: unknown) => {
        calls.push({ state, input: input as Record<string, unknown> });
        const n = counters.get(state) ?? 0;
        counters.set(state, n + 1);
        const script = scripts[state];
        const step = Array.isArray(script) ? (script[Math.min(n, script.length - 1)] as Step) : script;
        return (step ?? (defaults[state] as Step))(input as Record<string, unknown>) as never;
      },
    ]),
  );
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  const retryIntervalOverrides = Object.fromEntries(TASKS.map((state) => [state, 0]));
  const execution = machine.run(
    { order: { orderKey: 'stripe:acct_test:cs_test_1', kind: paid ? 'paid' : 'placed' } },
    {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
      // The engine does not mint task tokens (AWS does): provide the one the wait state reads.
      context: { Task: { Token: 'test-only-not-a-secret-token' } },
    },
  );
  let result: Run;
  try {
    await execution.result;
    result = { status: 'succeeded', calls };
  } catch (error) {
    result = { status: 'failed', calls, error };
  }
  result.recorded = calls.filter((c) => c.state === StateNames.recordOutcome).at(-1)?.input;
  return result;
}

const statesCalled = (r: Run) => r.calls.map((c) => c.state);

describe('CustomerProvisioning paths (local engine)', () => {
  afterEach(() => vi.useRealTimers());

  it('fulfils a paid order: create, record, transfer, record outcome, succeed', async () => {
    const result = await run({});
    expect(result.status).toBe('succeeded');
    expect(statesCalled(result)).toEqual([
      StateNames.createCustomer,
      StateNames.recordCustomer,
      StateNames.transferCredit,
      StateNames.recordOutcome,
    ]);
    expect(result.recorded).toMatchObject({
      outcome: 'fulfilled',
      customer: { uuid: 'cust-uuid-1' },
      payment: { paid: true },
      transfer: { status: 'APPLIED', amount: 10_000 },
    });
  });

  it('waits for payment when the order is unpaid, sending only the order key and a task token', async () => {
    const result = await run({}, false);
    expect(result.status).toBe('succeeded');
    // The engine hands the override the lambda:invoke parameters; the Lambda would get `Payload`.
    const wait = result.calls.find((c) => c.state === StateNames.waitForPayment)?.input as {
      Payload: Record<string, unknown>;
    };
    expect(wait.Payload).toEqual({
      orderKey: 'stripe:acct_test:cs_test_1',
      taskToken: 'test-only-not-a-secret-token',
    });
    expect(result.recorded).toMatchObject({ outcome: 'fulfilled' });
  });

  it('records payment_failed and succeeds when the wait ends with PaymentFailed', async () => {
    const result = await run(
      {
        [StateNames.waitForPayment]: () => {
          throw failure(ErrorNames.PaymentFailed);
        },
      },
      false,
    );
    expect(result.status).toBe('succeeded');
    expect(statesCalled(result)).not.toContain(StateNames.transferCredit);
    expect(result.recorded).toMatchObject({
      outcome: 'payment_failed',
      error: { Error: ErrorNames.PaymentFailed },
    });
  });

  it('records expired when no payment arrives within the payment window', async () => {
    vi.useFakeTimers();
    const pending = run({ [StateNames.waitForPayment]: () => new Promise(() => {}) }, false);
    await vi.advanceTimersByTimeAsync(7 * 86_400 * 1000 + 1000);
    const result = await pending;
    expect(result.status).toBe('succeeded');
    expect(result.recorded).toMatchObject({ outcome: 'expired', error: { Error: 'States.Timeout' } });
  });

  it('retries a too-low reseller balance until the top-up, then fulfils', async () => {
    const tooLow = () => {
      throw failure(ErrorNames.ResellerBalanceTooLow);
    };
    const result = await run({
      [StateNames.transferCredit]: [tooLow, tooLow, tooLow, () => ({ status: 'APPLIED', amount: 10_000 })],
    });
    expect(result.status).toBe('succeeded');
    expect(statesCalled(result).filter((s) => s === StateNames.transferCredit)).toHaveLength(4);
    expect(result.recorded).toMatchObject({ outcome: 'fulfilled' });
  });

  it('reconciles an unknown transfer and loops back to Transfer credit when provably not applied', async () => {
    const result = await run({
      [StateNames.transferCredit]: [
        () => {
          throw failure(ErrorNames.TransferOutcomeUnknown);
        },
        () => ({ status: 'APPLIED', amount: 10_000 }),
      ],
      [StateNames.reconcileTransfer]: () => ({ decision: 'retry', reason: 'balance unchanged' }),
    });
    expect(result.status).toBe('succeeded');
    expect(statesCalled(result)).toEqual([
      StateNames.createCustomer,
      StateNames.recordCustomer,
      StateNames.transferCredit,
      StateNames.reconcileTransfer,
      StateNames.transferCredit,
      StateNames.recordOutcome,
    ]);
    expect(result.recorded).toMatchObject({ outcome: 'fulfilled' });
  });

  it('fulfils without a second transfer when reconciliation proves the first applied', async () => {
    const result = await run({
      [StateNames.transferCredit]: () => {
        throw failure(ErrorNames.TransferOutcomeUnknown);
      },
    });
    expect(statesCalled(result).filter((s) => s === StateNames.transferCredit)).toHaveLength(1);
    expect(result.recorded).toMatchObject({ outcome: 'fulfilled', reconcile: { decision: 'applied' } });
  });

  it("retries LeaseBusy on Reconcile transfer while another transfer holds the customer's lease, then decides", async () => {
    const busy = () => {
      throw failure(ErrorNames.LeaseBusy);
    };
    const result = await run({
      [StateNames.transferCredit]: () => {
        throw failure(ErrorNames.TransferOutcomeUnknown);
      },
      [StateNames.reconcileTransfer]: [busy, busy, () => ({ decision: 'applied', reason: 'balance rose' })],
    });
    expect(result.status).toBe('succeeded');
    expect(statesCalled(result).filter((s) => s === StateNames.reconcileTransfer)).toHaveLength(3);
    expect(result.recorded).toMatchObject({ outcome: 'fulfilled', reconcile: { decision: 'applied' } });
  });

  it('records failed with LeaseBusy once the lease retries on Reconcile transfer run out: MaxAttempts + 1 attempts', async () => {
    const result = await run({
      [StateNames.transferCredit]: () => {
        throw failure(ErrorNames.TransferOutcomeUnknown);
      },
      [StateNames.reconcileTransfer]: () => {
        throw failure(ErrorNames.LeaseBusy);
      },
    });
    expect(result.status).toBe('failed');
    expect(statesCalled(result).filter((s) => s === StateNames.reconcileTransfer)).toHaveLength(
      RetryPolicies.leaseBusy.maxAttempts + 1,
    );
    expect(result.recorded).toMatchObject({ outcome: 'failed', error: { Error: ErrorNames.LeaseBusy } });
  });

  it('parks the order for a person when reconciliation cannot decide, the order is unpriced or incomplete', async () => {
    const undecided = await run({
      [StateNames.transferCredit]: () => {
        throw failure(ErrorNames.TransferOutcomeUnknown);
      },
      [StateNames.reconcileTransfer]: () => ({
        decision: 'needs_review',
        reason: 'balance moved by another amount',
      }),
    });
    expect(undecided.status).toBe('succeeded');
    expect(undecided.recorded).toMatchObject({
      outcome: 'needs_attention',
      reconcile: { decision: 'needs_review', reason: 'balance moved by another amount' },
    });

    const skipped = await run({
      [StateNames.transferCredit]: () => ({ status: 'SKIPPED', amount: 0, reason: 'unpriced SKU' }),
    });
    expect(skipped.status).toBe('succeeded');
    expect(skipped.recorded).toMatchObject({ outcome: 'needs_attention', transfer: { status: 'SKIPPED' } });

    const incomplete = await run({
      [StateNames.createCustomer]: () => {
        throw failure(ErrorNames.OrderIncomplete, 'a new Yay customer needs address.street_one');
      },
    });
    expect(incomplete.status).toBe('succeeded');
    expect(statesCalled(incomplete)).toEqual([StateNames.createCustomer, StateNames.recordOutcome]);
    expect(incomplete.recorded).toMatchObject({
      outcome: 'needs_attention',
      error: { Error: ErrorNames.OrderIncomplete, Cause: expect.stringContaining('address.street_one') },
    });
  });

  it('records refunded, and calls no reconcile, when the transfer reports the order refunded first', async () => {
    const result = await run({
      [StateNames.transferCredit]: () => ({ status: 'CANCELLED', amount: 0, reason: 'refunded' }),
    });

    expect(result.status).toBe('succeeded');
    expect(result.recorded).toMatchObject({ outcome: 'refunded' });
    expect(statesCalled(result)).not.toContain(StateNames.reconcileTransfer);
  });

  it('records failed with the error and fails the execution on a definite Yay refusal, without retrying it', async () => {
    const result = await run({
      [StateNames.createCustomer]: () => {
        throw failure(ErrorNames.YayAuthFailed, 'credentials refused');
      },
    });
    expect(result.status).toBe('failed');
    expect(((result.error as Error).cause as Error).name).toBe(PROVISIONING_FAILED);
    expect(statesCalled(result)).toEqual([StateNames.createCustomer, StateNames.recordOutcome]);
    expect(result.recorded).toMatchObject({
      outcome: 'failed',
      error: { Error: ErrorNames.YayAuthFailed, Cause: expect.stringContaining('credentials refused') },
    });
  });

  it('retries a Yay outage, then fulfils once Yay answers', async () => {
    const down = () => {
      throw failure(ErrorNames.YayUnavailable);
    };
    const result = await run({
      [StateNames.createCustomer]: [down, down, () => ({ uuid: 'cust-uuid-2', name: 'n', created: false })],
    });
    expect(statesCalled(result).filter((s) => s === StateNames.createCustomer)).toHaveLength(3);
    expect(result.recorded).toMatchObject({ outcome: 'fulfilled', customer: { uuid: 'cust-uuid-2' } });
  });

  it('records failed once the retries on a Yay outage run out: MaxAttempts + 1 attempts, then the catch', async () => {
    const result = await run({
      [StateNames.createCustomer]: () => {
        throw failure(ErrorNames.YayUnavailable);
      },
    });
    expect(result.status).toBe('failed');
    expect(statesCalled(result)).toEqual([
      ...Array(RetryPolicies.yayUnavailable.maxAttempts + 1).fill(StateNames.createCustomer),
      StateNames.recordOutcome,
    ]);
    expect(result.recorded).toMatchObject({ outcome: 'failed', error: { Error: ErrorNames.YayUnavailable } });
  });

  it('records failed for an unexpected error at once: no retrier matches it', async () => {
    const result = await run({
      [StateNames.recordCustomer]: () => {
        throw failure('TypeError', 'cannot read properties of undefined');
      },
    });
    expect(result.status).toBe('failed');
    expect(statesCalled(result).filter((s) => s === StateNames.recordCustomer)).toHaveLength(1);
    expect(result.recorded).toMatchObject({ outcome: 'failed', error: { Error: 'TypeError' } });
  });

  it('fails the execution when the outcome itself cannot be recorded', async () => {
    const result = await run({
      [StateNames.recordOutcome]: () => {
        throw failure('AccessDeniedException');
      },
    });
    expect(result.status).toBe('failed');
    expect(((result.error as Error).cause as Error).name).toBe(PROVISIONING_FAILED);
  });
});
