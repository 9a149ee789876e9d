import { describe, expect, it } from 'vitest';
import { DEFAULT_PAYMENT_WINDOW_DAYS } from '../../infra/config';
import { STATE_MACHINE_NAME, StateNames } from '../../infra/names';
import { Outcomes } from '../../shared/domain/order-state';
import { ErrorNames } from '../../shared/errors';
import { functionLogicalId, stateMachineDefinition, synthesized } from './synth';

type Retrier = {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
};
type Catcher = { ErrorEquals: string[]; Next: string; ResultPath?: string };
type State = Record<string, unknown> & { Type: string; Retry?: Retrier[]; Catch?: Catcher[]; Next?: string };

const { provisioning } = synthesized();
const definition = stateMachineDefinition(provisioning);
const state = (name: string): State => {
  const found = definition.States[name];
  if (!found) throw new Error(`no state "${name}" in the definition`);
  return found as State;
};
const retrierFor = (name: string, error: string): Retrier | undefined =>
  state(name).Retry?.find((r) => r.ErrorEquals.includes(error));
const catchTarget = (name: string, error: string): string | undefined =>
  state(name).Catch?.find((c) => c.ErrorEquals.includes(error))?.Next;
const LAMBDA_SERVICE_FAULTS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];
const taskNames = Object.entries(definition.States)
  .filter(([, s]) => (s as State).Type === 'Task')
  .map(([name]) => name);

describe('CustomerProvisioning state machine', () => {
  it('is a Standard workflow named CustomerProvisioning with ALL-level logging and X-Ray tracing when synthesized', () => {
    provisioning.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: STATE_MACHINE_NAME,
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
    });
  });

  it('uses JSONPath with no Assign or JSONata anywhere, because the local engine evaluates neither', () => {
    const text = JSON.stringify(definition);
    expect(definition).not.toHaveProperty('QueryLanguage');
    expect(text).not.toMatch(/"Assign"|"Arguments"|"Output"|\{%/);
  });

  it('starts at Create customer and chains Record customer then the payment choice', () => {
    expect(definition.StartAt).toBe(StateNames.createCustomer);
    expect(state(StateNames.createCustomer).Next).toBe(StateNames.recordCustomer);
    expect(state(StateNames.recordCustomer).Next).toBe(StateNames.paymentConfirmed);
  });

  it('binds each Task to the function the contract names, passing the whole state and keeping results apart', () => {
    const expected: Array<[string, Parameters<typeof functionLogicalId>[1], string]> = [
      [StateNames.createCustomer, 'create-customer', '$.customer'],
      [StateNames.recordCustomer, 'record-customer', '$.payment'],
      [StateNames.transferCredit, 'transfer-credit', '$.transfer'],
      [StateNames.reconcileTransfer, 'reconcile-transfer', '$.reconcile'],
      [StateNames.recordOutcome, 'record-outcome', '$.recorded'],
    ];
    for (const [name, fn, resultPath] of expected) {
      expect(state(name).Resource, name).toBe(`GetAtt:${functionLogicalId(provisioning, fn)}`);
      expect(state(name).ResultPath, name).toBe(resultPath);
      // payloadResponseOnly: no Parameters, so the Lambda gets the state input and returns the result directly.
      expect(state(name).Parameters, name).toBeUndefined();
    }
  });

  it('routes Payment confirmed? to Transfer credit only when $.payment.paid is true, else to Wait for payment', () => {
    const choice = state(StateNames.paymentConfirmed) as State & {
      Choices: Array<{ And: Array<Record<string, unknown>>; Next: string }>;
      Default: string;
    };
    expect(choice.Type).toBe('Choice');
    expect(choice.Choices).toHaveLength(1);
    expect(choice.Choices[0]?.Next).toBe(StateNames.transferCredit);
    expect(choice.Choices[0]?.And).toContainEqual({ Variable: '$.payment.paid', BooleanEquals: true });
    expect(choice.Default).toBe(StateNames.waitForPayment);
  });

  it('waits for payment with a task token, the payment window as timeout, and only the order key and token as payload', () => {
    const wait = state(StateNames.waitForPayment);
    expect(wait.Resource).toContain(':states:::lambda:invoke.waitForTaskToken');
    expect(wait.TimeoutSeconds).toBe(DEFAULT_PAYMENT_WINDOW_DAYS * 86_400);
    expect(wait.Parameters).toEqual({
      FunctionName: `GetAtt:${functionLogicalId(provisioning, 'await-payment')}`,
      Payload: { 'orderKey.$': '$.order.orderKey', 'taskToken.$': '$$.Task.Token' },
    });
    expect(wait.ResultPath).toBe('$.payment');
    expect(wait.Next).toBe(StateNames.transferCredit);
  });

  it('ends a wait as expired on timeout and as payment_failed on PaymentFailed', () => {
    expect(catchTarget(StateNames.waitForPayment, 'States.Timeout')).toBe('Outcome expired');
    expect(catchTarget(StateNames.waitForPayment, ErrorNames.PaymentFailed)).toBe('Outcome payment_failed');
  });

  it('retries a too-low reseller balance hourly for a week without backoff', () => {
    expect(retrierFor(StateNames.transferCredit, ErrorNames.ResellerBalanceTooLow)).toEqual({
      ErrorEquals: [ErrorNames.ResellerBalanceTooLow],
      IntervalSeconds: 3600,
      MaxAttempts: 168,
      BackoffRate: 1,
    });
  });

  it('retries a busy lease quickly and Yay outages with full jitter, rate limits with a longer backoff', () => {
    for (const task of [StateNames.transferCredit, StateNames.reconcileTransfer]) {
      const lease = retrierFor(task, ErrorNames.LeaseBusy);
      expect(lease?.IntervalSeconds, task).toBeLessThanOrEqual(10);
      expect(lease?.MaxAttempts, task).toBeGreaterThan(1);
    }
    for (const task of [StateNames.createCustomer, StateNames.transferCredit, StateNames.reconcileTransfer]) {
      const unavailable = retrierFor(task, ErrorNames.YayUnavailable);
      const limited = retrierFor(task, ErrorNames.YayRateLimited);
      expect(unavailable?.JitterStrategy, task).toBe('FULL');
      expect(unavailable?.BackoffRate, task).toBeGreaterThan(1);
      expect(limited?.JitterStrategy, task).toBe('FULL');
      expect(limited?.IntervalSeconds ?? 0, task).toBeGreaterThan(unavailable?.IntervalSeconds ?? 0);
    }
  });

  it('never retries definite failures (auth, rejection, invalid or incomplete order, config) on any Task', () => {
    const definite = [
      ErrorNames.YayAuthFailed,
      ErrorNames.YayRejected,
      ErrorNames.OrderInvalid,
      ErrorNames.OrderIncomplete,
      ErrorNames.ConfigInvalid,
    ];
    for (const task of taskNames) {
      for (const error of definite) {
        expect(retrierFor(task, error), `${task} retries ${error}`).toBeUndefined();
      }
      // Nor through a wildcard: States.ALL or States.TaskFailed would match every one of them.
      for (const wildcard of ['States.ALL', 'States.TaskFailed']) {
        expect(retrierFor(task, wildcard), `${task} retries ${wildcard}`).toBeUndefined();
      }
    }
  });

  it('retries AWS throttles and transient faults on every Task, with full jitter', () => {
    for (const task of taskNames) {
      for (const error of [
        ErrorNames.DependencyUnavailable,
        'Lambda.TooManyRequestsException',
        'ProvisionedThroughputExceededException',
        'TransactionConflictException',
      ]) {
        const retrier = retrierFor(task, error);
        expect(retrier?.JitterStrategy, `${task} ${error}`).toBe('FULL');
        expect(retrier?.MaxAttempts, `${task} ${error}`).toBeGreaterThan(1);
      }
    }
  });

  it('keeps one built-in Lambda service-fault retrier per Task and adds none of its own', () => {
    for (const task of taskNames) {
      const faultRetriers = (state(task).Retry ?? []).filter((r) =>
        r.ErrorEquals.some((e) => LAMBDA_SERVICE_FAULTS.includes(e)),
      );
      expect(faultRetriers, task).toHaveLength(1);
    }
  });

  it('sends an unknown transfer outcome to Reconcile transfer instead of retrying the transfer', () => {
    expect(catchTarget(StateNames.transferCredit, ErrorNames.TransferOutcomeUnknown)).toBe(
      StateNames.reconcileTransfer,
    );
    expect(retrierFor(StateNames.transferCredit, ErrorNames.TransferOutcomeUnknown)).toBeUndefined();
  });

  it('catches every other error on every Task into $.error, with States.ALL last', () => {
    for (const task of taskNames) {
      const catchers = state(task).Catch ?? [];
      expect(catchers.at(-1)?.ErrorEquals, task).toEqual(['States.ALL']);
      for (const catcher of catchers) expect(catcher.ResultPath, task).toBe('$.error');
    }
    for (const task of taskNames.filter((t) => t !== StateNames.recordOutcome)) {
      expect(catchTarget(task, 'States.ALL'), task).toBe('Outcome failed');
      expect(catchTarget(task, ErrorNames.YayAuthFailed), task).toBe('Outcome failed');
    }
    expect(catchTarget(StateNames.recordOutcome, 'States.ALL')).toBe(StateNames.failed);
  });

  it('decides Credit moved? by $.transfer.status: APPLIED or NOTHING_OWED fulfilled, CANCELLED refunded, anything else a person', () => {
    const choice = state(StateNames.creditMoved) as State & {
      Choices: Array<Record<string, unknown>>;
      Default: string;
    };
    expect(choice.Choices).toEqual([
      { Variable: '$.transfer.status', StringEquals: 'APPLIED', Next: 'Outcome fulfilled' },
      { Variable: '$.transfer.status', StringEquals: 'NOTHING_OWED', Next: 'Outcome fulfilled' },
      { Variable: '$.transfer.status', StringEquals: 'CANCELLED', Next: 'Outcome refunded' },
    ]);
    expect(choice.Default).toBe('Outcome needs_attention');
  });

  it('follows the reconcile decision: applied is fulfilled, retry loops to Transfer credit, the rest needs a person', () => {
    const choice = state(StateNames.transferReconciled) as State & {
      Choices: Array<Record<string, unknown>>;
      Default: string;
    };
    expect(state(StateNames.reconcileTransfer).Next).toBe(StateNames.transferReconciled);
    expect(choice.Choices).toEqual([
      { Variable: '$.reconcile.decision', StringEquals: 'applied', Next: 'Outcome fulfilled' },
      { Variable: '$.reconcile.decision', StringEquals: 'retry', Next: StateNames.transferCredit },
    ]);
    expect(choice.Default).toBe('Outcome needs_attention');
  });

  it('parks an incomplete order (OrderIncomplete from Create customer) for a person, before the failure catchers', () => {
    const catchers = state(StateNames.createCustomer).Catch ?? [];
    expect(catchers[0]).toEqual({
      ErrorEquals: [ErrorNames.OrderIncomplete],
      Next: 'Outcome needs_attention',
      ResultPath: '$.error',
    });
    expect(retrierFor(StateNames.createCustomer, ErrorNames.OrderIncomplete)).toBeUndefined();
  });

  it('sets $.outcome in one Pass state per outcome the graph can reach, each joining Record outcome', () => {
    // `closed` is a person's decision (ops close), never an execution's.
    for (const outcome of Outcomes.filter((o) => o !== 'closed')) {
      expect(state(`Outcome ${outcome}`)).toEqual({
        Type: 'Pass',
        Result: outcome,
        ResultPath: '$.outcome',
        Next: StateNames.recordOutcome,
      });
    }
  });

  it('fails the execution after recording a failed outcome and succeeds after any other', () => {
    expect(state(StateNames.recordOutcome).Next).toBe(StateNames.outcomeFailed);
    const choice = state(StateNames.outcomeFailed) as State & { Choices: unknown[]; Default: string };
    expect(choice.Choices).toEqual([
      { Variable: '$.outcome', StringEquals: 'failed', Next: StateNames.failed },
    ]);
    expect(choice.Default).toBe(StateNames.done);
    expect(state(StateNames.failed).Type).toBe('Fail');
    expect(state(StateNames.done).Type).toBe('Succeed');
  });

  it('has exactly the states of the contract and nothing unreachable', () => {
    const outcomes = Outcomes.filter((o) => o !== 'closed').map((o) => `Outcome ${o}`);
    expect(Object.keys(definition.States).sort()).toEqual([...Object.values(StateNames), ...outcomes].sort());
  });
});
