import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { DeadLetterQueue } from './dead-letter-queue';
import { lambdaVersionsWildcard } from './provisioning-workflow';

/**
 * The role a schedule invokes `fn` with. One role per schedule, so its acknowledgement covers exactly that
 * function's invoke grant; assumable by the Scheduler only on behalf of this account.
 */
export function scheduleRole(scope: Construct, id: string, fn: IFunction): Role {
  const created = new Role(scope, id, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  });
  Validations.of(created).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${lambdaVersionsWildcard(fn)}]`,
    reason: 'The scheduler target grants invoke on this one function and its versions (ARN:*), nothing else.',
  });
  return created;
}

/** Props of {@link ProvisioningSchedules}. */
export interface ProvisioningSchedulesProps {
  readonly sweep: IFunction;
  readonly dailyReconciliation: IFunction;
}

/**
 * EventBridge Scheduler schedules. Each invocation is retried a few times and then dead-lettered, so a
 * broken sweep shows up as an alarm rather than as orders that quietly stop moving. A missed run is
 * harmless (the next one does the same work: both handlers are idempotent), hence the short event age.
 */
export class ProvisioningSchedules extends Construct {
  readonly sweep: Schedule;
  readonly dailyReconciliation: Schedule;
  readonly sweepDeadLetters: DeadLetterQueue;
  readonly reconciliationDeadLetters: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: ProvisioningSchedulesProps) {
    super(scope, id);

    const role = (id: string, fn: IFunction) => scheduleRole(this, id, fn);

    this.sweepDeadLetters = new DeadLetterQueue(this, 'SweepDeadLetters');
    this.sweep = new Schedule(this, 'Sweep', {
      description:
        'Restarts stuck orders, expires unpaid ones, reconciles unknown transfers, checks the balance',
      schedule: ScheduleExpression.rate(Duration.minutes(15)),
      target: new LambdaInvoke(props.sweep, {
        role: role('SweepRole', props.sweep),
        input: ScheduleTargetInput.fromObject({
          job: 'sweep',
          scheduledTime: ContextAttribute.scheduledTime,
        }),
        retryAttempts: 3,
        maxEventAge: Duration.minutes(15),
        deadLetterQueue: this.sweepDeadLetters.queue,
      }),
    });

    this.reconciliationDeadLetters = new DeadLetterQueue(this, 'ReconciliationDeadLetters');
    this.dailyReconciliation = new Schedule(this, 'DailyReconciliation', {
      description: 'Compares recorded customers with Yay and reports drift',
      // 03:10 UTC: away from the top of the hour, when the sweep and most stores' batch jobs run.
      schedule: ScheduleExpression.cron({ minute: '10', hour: '3' }),
      target: new LambdaInvoke(props.dailyReconciliation, {
        role: role('DailyReconciliationRole', props.dailyReconciliation),
        input: ScheduleTargetInput.fromObject({
          job: 'daily-reconciliation',
          scheduledTime: ContextAttribute.scheduledTime,
        }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.reconciliationDeadLetters.queue,
      }),
    });
  }
}
