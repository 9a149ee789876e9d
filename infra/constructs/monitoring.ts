import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MetricNames } from '../../shared/metric-names';
import { METRICS_NAMESPACE, SERVICE_NAME } from './provisioning-function';

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  readonly stateMachine: StateMachine;
  readonly intake: IFunction;
  readonly api: HttpApi;
  /** Dead-letter queues by a readable name; each gets its own alarm. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail: string | undefined;
  /** Headroom (thousandths of a pound) the reseller balance must keep above the credit still owed. */
  readonly resellerBalanceFloorMillis: number;
  /** True while the buyer e-mails are on: alarm on failed ones and draw them. @default false */
  readonly buyerEmail?: boolean;
}

/** A custom metric as the handlers emit it through Powertools (dimension `service`). */
export function customMetric(metricName: string, statistic: string, period = Duration.minutes(5)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
  });
}

/**
 * The alarm topic (KMS-encrypted, optionally mailed), the alarms that need a person, and a dashboard of
 * orders, credit moved, failures and reseller balance. Every alarm fires on the first occurrence: each
 * one means money or a customer is waiting.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    const key = new Key(this, 'TopicKey', {
      description: 'Encrypts the provisioning alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic: it needs to use the key.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Yay provisioning alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const alarm = (id: string, description: string, metric: Metric | MathExpression, threshold = 1) => {
      const created = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      this.alarms.push(created);
      return created;
    };

    alarm(
      'ExecutionsFailed',
      'A provisioning execution failed: the order is recorded as failed; read its attention, fix the cause, then ops replay it (a redrive re-runs the failed state with the same input).',
      props.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: Stats.SUM }),
    );
    alarm(
      'TransferNeedsReview',
      'A credit transfer could not be proven applied or not: decide with `npm run ops -- resolve-transfer`.',
      customMetric(MetricNames.TransfersNeedingReview, Stats.SUM),
    );
    alarm(
      'RefundAfterCredit',
      'An order was refunded after its credit moved: claw back by hand if appropriate.',
      customMetric(MetricNames.RefundAfterCredit, Stats.SUM),
    );
    alarm(
      'OrdersNeedAttention',
      'An order waits for a person (missing details, unpriced, a contested payment, a failure): ' +
        '`npm run ops -- attention` lists each with the one command that resolves it.',
      customMetric(MetricNames.OrdersNeedingAttention, Stats.SUM),
    );
    alarm(
      'ReconciliationDrift',
      'The daily reconciliation found customers in Yay and the table that disagree.',
      customMetric(MetricNames.ReconciliationDrift, Stats.MAXIMUM, Duration.days(1)),
    );

    // The sweep reports both every 15 minutes: alarm when the balance no longer covers what is owed (+ floor).
    const headroom = new MathExpression({
      expression: `owed + ${props.resellerBalanceFloorMillis} - balance`,
      usingMetrics: {
        balance: customMetric(MetricNames.ResellerBalanceMillis, Stats.MINIMUM, Duration.minutes(15)),
        owed: customMetric(MetricNames.CreditOwedMillis, Stats.MAXIMUM, Duration.minutes(15)),
      },
      label: 'Credit owed + floor − reseller balance (thousandths of £)',
      period: Duration.minutes(15),
    });
    const balanceLow = new Alarm(this, 'ResellerBalanceLow', {
      alarmDescription: 'The reseller balance does not cover the credit owed to paid orders: top up at Yay.',
      metric: headroom,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    balanceLow.addAlarmAction(action);
    this.alarms.push(balanceLow);

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `DeadLetters${name}`,
        `Undelivered events wait in the ${name} dead-letter queue: read them, fix the cause, redrive.`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: Stats.MAXIMUM,
        }),
      );
    }

    if (props.buyerEmail) {
      alarm(
        'EmailsFailed',
        'A buyer e-mail was not sent (SES refused it, could not be reached, or could not render it): notify’s log ' +
          'has SES’s answer; the retry schedule tries again, `npm run ops -- resend-welcome` sends a welcome again.',
        customMetric(MetricNames.EmailsFailed, Stats.SUM),
      );
    }

    alarm(
      'IntakeErrors',
      'webhook-intake failed: stores will retry (Stripe 3 days, Shopify 4 hours) but WooCommerce will not.',
      props.intake.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
    );
    alarm(
      'IntakeServerErrors',
      'The webhook API answered 5xx.',
      props.api.metricServerError({ period: Duration.minutes(5), statistic: Stats.SUM }),
    );

    const sum = (name: string) => customMetric(name, Stats.SUM, Duration.hours(1));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Orders',
        left: [sum(MetricNames.OrdersReceived), sum(MetricNames.CustomersCreated)],
        width: 12,
      }),
      new GraphWidget({
        title: 'Credit moved (thousandths of £)',
        left: [sum(MetricNames.CreditMovedMillis)],
        width: 12,
      }),
      new GraphWidget({
        title: 'Failures',
        left: [
          props.stateMachine.metricFailed({ period: Duration.hours(1), statistic: Stats.SUM }),
          sum(MetricNames.TransfersNeedingReview),
          sum(MetricNames.OrdersNeedingAttention),
          sum(MetricNames.LatePaymentsCredited),
          // Intake adds provider/reason dimensions to rejections: sum across all of them.
          new MathExpression({
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},provider,reason,service} MetricName="${MetricNames.WebhooksRejected}"', 'Sum', 3600))`,
            usingMetrics: {},
            label: 'Webhooks rejected',
            period: Duration.hours(1),
          }),
          props.intake.metricErrors({ period: Duration.hours(1), statistic: Stats.SUM }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Reseller balance vs credit owed (thousandths of £)',
        left: [
          customMetric(MetricNames.ResellerBalanceMillis, Stats.MINIMUM, Duration.minutes(15)),
          customMetric(MetricNames.CreditOwedMillis, Stats.MAXIMUM, Duration.minutes(15)),
        ],
        width: 12,
      }),
      ...(props.buyerEmail
        ? [
            new GraphWidget({
              title: 'Buyer e-mails',
              left: [sum(MetricNames.EmailsSent), sum(MetricNames.EmailsFailed)],
              width: 24,
            }),
          ]
        : []),
      new SingleValueWidget({
        title: 'Executions in the last day',
        metrics: [
          props.stateMachine.metricStarted({ period: Duration.days(1), statistic: Stats.SUM }),
          props.stateMachine.metricSucceeded({ period: Duration.days(1), statistic: Stats.SUM }),
          props.stateMachine.metricFailed({ period: Duration.days(1), statistic: Stats.SUM }),
        ],
        width: 24,
      }),
    );
  }
}
