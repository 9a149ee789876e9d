import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  type TaskStateBase,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { Outcome } from '../../shared/domain/order-state';
import { ErrorNames } from '../../shared/errors';
import { STATE_MACHINE_NAME, StateNames } from '../names';

/** The Lambda behind each Task state. */
export interface WorkflowFunctions {
  readonly createCustomer: IFunction;
  readonly recordCustomer: IFunction;
  readonly awaitPayment: IFunction;
  readonly transferCredit: IFunction;
  readonly reconcileTransfer: IFunction;
  readonly recordOutcome: IFunction;
}

/** Props of {@link ProvisioningWorkflow}. */
export interface ProvisioningWorkflowProps {
  readonly functions: WorkflowFunctions;
  /** How long `Wait for payment` waits for its token before the order expires. */
  readonly paymentWindow: Duration;
  readonly logRetention: RetentionDays;
}

/** Error name of the final Fail state: what an operator sees on a failed execution (redrive after a fix). */
export const PROVISIONING_FAILED = 'ProvisioningFailed';

/**
 * AWS error names (as Lambda reports them) that mean "try again shortly", and ours for a dependency that
 * throttled or failed transiently (a Secrets Manager read).
 */
export const AWS_TRANSIENT_ERRORS = [
  ErrorNames.DependencyUnavailable,
  'Lambda.TooManyRequestsException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'InternalServerError',
  'ServiceUnavailable',
] as const;

/**
 * Domain retries, keyed by the error names the handlers throw. LambdaInvoke already retries Lambda's own
 * service faults (`Lambda.ServiceException` & co.), so those are not repeated here.
 */
export const RetryPolicies = {
  /** Network errors and 5xx: short exponential backoff with full jitter, so a Yay blip does not synchronize retries. */
  yayUnavailable: {
    errors: [ErrorNames.YayUnavailable],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(1),
    jitterStrategy: JitterType.FULL,
  },
  /** 429: back off longer than for a blip; the limit is per reseller, so hammering only extends it. */
  yayRateLimited: {
    errors: [ErrorNames.YayRateLimited],
    interval: Duration.seconds(30),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(5),
    jitterStrategy: JitterType.FULL,
  },
  /** Not a failure: the reseller tops up. Hourly for a week (alarmed meanwhile), then the order fails visibly. */
  resellerBalanceTooLow: {
    errors: [ErrorNames.ResellerBalanceTooLow],
    interval: Duration.hours(1),
    backoffRate: 1,
    maxAttempts: 168,
  },
  /** Another transfer to the same customer holds the lease for a few seconds. */
  leaseBusy: {
    errors: [ErrorNames.LeaseBusy],
    interval: Duration.seconds(5),
    backoffRate: 1.5,
    maxAttempts: 8,
    jitterStrategy: JitterType.FULL,
  },
  /**
   * Throttles and transient faults of AWS itself, after the SDK's own retries gave up: Lambda refusing the
   * invoke (concurrency) — not among LambdaInvoke's built-in retries — and DynamoDB/STS/Secrets Manager
   * errors a handler lets through by name. Every step is idempotent, so a retry is always safe.
   */
  awsTransient: {
    errors: [...AWS_TRANSIENT_ERRORS],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    jitterStrategy: JitterType.FULL,
  },
} satisfies Record<string, RetryProps>;

/**
 * The wildcard that `grantInvoke` adds for a function's versions, as cdk-nag spells it in a finding id
 * (`<LogicalId.Arn>:*`), so it can be acknowledged for exactly that function.
 */
export function lambdaVersionsWildcard(fn: IFunction): string {
  const logicalId = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
  return `<${logicalId}.Arn>:*`;
}

/** Errors that no retry can fix: caught by name first, so the graph documents them. */
const DEFINITE_FAILURES = [
  ErrorNames.YayAuthFailed,
  ErrorNames.YayRejected,
  ErrorNames.OrderInvalid,
  ErrorNames.ConfigInvalid,
];

/**
 * The Standard state machine `CustomerProvisioning`, exactly the graph of shared/workflow/contract.ts.
 * JSONPath only (no JSONata, no Assign): local mode's engine evaluates neither. Every Task has explicit
 * Retry and Catch; every caught failure goes through `Record outcome`, so no order disappears silently.
 */
export class ProvisioningWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProvisioningWorkflowProps) {
    super(scope, id);
    const { functions: fns } = props;

    const invoke = (stateName: string, fn: IFunction, resultPath: string) =>
      LambdaInvoke.jsonPath(this, stateName, {
        stateName,
        lambdaFunction: fn,
        // The handler's return value is the result: no Lambda envelope to unwrap with a selector.
        payloadResponseOnly: true,
        resultPath,
      });

    const recordOutcome = invoke(StateNames.recordOutcome, fns.recordOutcome, '$.recorded');
    const failed = new Fail(this, StateNames.failed, {
      stateName: StateNames.failed,
      error: PROVISIONING_FAILED,
      cause:
        'See this execution history for the error; the order item keeps it as lastError unless recording the ' +
        'outcome itself failed.',
    });
    const done = new Succeed(this, StateNames.done, { stateName: StateNames.done });

    // One Pass state per outcome: sets $.outcome and joins Record outcome.
    const outcome = (value: Outcome) =>
      new Pass(this, `Outcome ${value}`, {
        stateName: `Outcome ${value}`,
        result: Result.fromString(value),
        resultPath: '$.outcome',
      }).next(recordOutcome);
    const outcomes = {
      fulfilled: outcome('fulfilled'),
      paymentFailed: outcome('payment_failed'),
      expired: outcome('expired'),
      refunded: outcome('refunded'),
      needsAttention: outcome('needs_attention'),
      failed: outcome('failed'),
    };

    const catchFailures = (task: TaskStateBase) =>
      task
        .addCatch(outcomes.failed, { errors: DEFINITE_FAILURES, resultPath: '$.error' })
        .addCatch(outcomes.failed, { errors: [Errors.ALL], resultPath: '$.error' });

    const createCustomer = invoke(StateNames.createCustomer, fns.createCustomer, '$.customer')
      .addRetry(RetryPolicies.yayUnavailable)
      .addRetry(RetryPolicies.yayRateLimited)
      .addRetry(RetryPolicies.awsTransient)
      // A genuine order that lacks what a new customer needs waits for a person, with the fields named.
      .addCatch(outcomes.needsAttention, { errors: [ErrorNames.OrderIncomplete], resultPath: '$.error' });
    catchFailures(createCustomer);

    const recordCustomer = invoke(StateNames.recordCustomer, fns.recordCustomer, '$.payment').addRetry(
      RetryPolicies.awsTransient,
    );
    catchFailures(recordCustomer);

    const waitForPayment = LambdaInvoke.jsonPath(this, StateNames.waitForPayment, {
      stateName: StateNames.waitForPayment,
      lambdaFunction: fns.awaitPayment,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        orderKey: JsonPath.stringAt('$.order.orderKey'),
        taskToken: JsonPath.taskToken,
      }),
      // SendTaskSuccess carries the PaymentState: it becomes $.payment.
      resultPath: '$.payment',
      taskTimeout: Timeout.duration(props.paymentWindow),
    })
      .addRetry(RetryPolicies.awsTransient)
      .addCatch(outcomes.expired, { errors: [Errors.TIMEOUT], resultPath: '$.error' })
      .addCatch(outcomes.paymentFailed, { errors: [ErrorNames.PaymentFailed], resultPath: '$.error' });
    catchFailures(waitForPayment);

    const transferCredit = invoke(StateNames.transferCredit, fns.transferCredit, '$.transfer')
      .addRetry(RetryPolicies.resellerBalanceTooLow)
      .addRetry(RetryPolicies.leaseBusy)
      .addRetry(RetryPolicies.yayUnavailable)
      .addRetry(RetryPolicies.yayRateLimited)
      .addRetry(RetryPolicies.awsTransient);

    // Reconcile reads the customer's balance, which another order's transfer may be changing: it takes the lease once
    // and throws LeaseBusy when held, and this retry is the wait (no Lambda time spent sleeping).
    const reconcileTransfer = invoke(StateNames.reconcileTransfer, fns.reconcileTransfer, '$.reconcile')
      .addRetry(RetryPolicies.leaseBusy)
      .addRetry(RetryPolicies.yayUnavailable)
      .addRetry(RetryPolicies.yayRateLimited)
      .addRetry(RetryPolicies.awsTransient);
    catchFailures(reconcileTransfer);

    // Never a blind retry of an irreversible transfer: an unknown outcome goes to reconciliation first.
    transferCredit.addCatch(reconcileTransfer, {
      errors: [ErrorNames.TransferOutcomeUnknown],
      resultPath: '$.error',
    });
    catchFailures(transferCredit);

    const transferReconciled = new Choice(this, StateNames.transferReconciled, {
      stateName: StateNames.transferReconciled,
    })
      .when(Condition.stringEquals('$.reconcile.decision', 'applied'), outcomes.fulfilled)
      .when(Condition.stringEquals('$.reconcile.decision', 'retry'), transferCredit)
      // needs_review, and anything unexpected: a person decides, money may have moved.
      .otherwise(outcomes.needsAttention);
    reconcileTransfer.next(transferReconciled);

    const creditMoved = new Choice(this, StateNames.creditMoved, { stateName: StateNames.creditMoved })
      .when(Condition.stringEquals('$.transfer.status', 'APPLIED'), outcomes.fulfilled)
      // Paid, and the money facts owe nothing (a free order): provisioned, nothing to move.
      .when(Condition.stringEquals('$.transfer.status', 'NOTHING_OWED'), outcomes.fulfilled)
      .when(Condition.stringEquals('$.transfer.status', 'CANCELLED'), outcomes.refunded)
      // SKIPPED (unpriced) and HELD (only a person can tell what is owed): a person decides.
      .otherwise(outcomes.needsAttention);
    transferCredit.next(creditMoved);

    const paymentConfirmed = new Choice(this, StateNames.paymentConfirmed, {
      stateName: StateNames.paymentConfirmed,
    })
      .when(
        Condition.and(Condition.isPresent('$.payment.paid'), Condition.booleanEquals('$.payment.paid', true)),
        transferCredit,
      )
      .otherwise(waitForPayment);
    waitForPayment.next(transferCredit);

    recordOutcome
      .addRetry(RetryPolicies.awsTransient)
      // The record itself could not be written: fail loudly (the executions-failed alarm fires).
      .addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' })
      .next(
        new Choice(this, StateNames.outcomeFailed, { stateName: StateNames.outcomeFailed })
          .when(Condition.stringEquals('$.outcome', 'failed'), failed)
          .otherwise(done),
      );

    const definition = createCustomer.next(recordCustomer).next(paymentConfirmed);

    this.logGroup = new LogGroup(this, 'Logs', {
      // The vended-logs prefix keeps Step Functions from growing the account's log resource policy.
      logGroupName: `/aws/vendedlogs/states/${STATE_MACHINE_NAME}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: STATE_MACHINE_NAME,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: LogLevel.ALL,
        // Execution data holds task tokens and buyer details: events are logged, their payloads are not.
        includeExecutionData: false,
      },
    });

    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Step Functions log delivery and X-Ray actions support no resource-level permissions.',
    });
    for (const fn of Object.values(fns)) {
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${lambdaVersionsWildcard(fn)}]`,
        reason: 'LambdaInvoke grants invoke on this one function and its versions (ARN:*), nothing else.',
      });
    }
  }
}
