import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type IEventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { OUTBOUND_SOURCE } from '../../shared/domain/outbound-events';

/** Props of {@link OutboundEventsLog}. */
export interface OutboundEventsLogProps {
  /** The provisioning bus the outcome events are published on. */
  readonly bus: IEventBus;
  readonly logRetention: RetentionDays;
}

/**
 * Every outbound event (`source` = {@link OUTBOUND_SOURCE}), as published, in a CloudWatch Logs log group: what
 * `npm run ops -- events --aws` reads (FilterLogEvents), and what a reseller's integrator checks their rules
 * against. E-mail on or off.
 *
 * The target is written here rather than taken from aws-events-targets' `CloudWatchLogGroup`, which installs a
 * custom-resource Lambda (logs:PutResourcePolicy on `*`) to add the log group's resource policy: CloudFormation has
 * the resource policy natively, so the same grant needs no function, no wildcard and no acknowledgement.
 */
export class OutboundEventsLog extends Construct {
  readonly logGroup: LogGroup;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: OutboundEventsLogProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      // Where the EventBridge console looks for event log groups.
      logGroupName: `/aws/events/${stack.stackName}/outbound-events`,
      retention: props.logRetention,
      // A copy for reading: the bus archive is the record (stateful stack).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // EventBridge writes to CloudWatch Logs under the log group's resource policy (a target role is not used).
    this.logGroup.grantWrite(new ServicePrincipal('events.amazonaws.com'));

    const logGroup = this.logGroup;
    const target: IRuleTarget = {
      bind: () => ({
        // The log group's ARN without the trailing `:*` the IAM form carries.
        arn: stack.formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        targetResource: logGroup,
      }),
    };
    this.rule = new Rule(this, 'Rule', {
      description: 'Every outbound event, as published, to a log group the ops CLI reads',
      eventBus: props.bus,
      eventPattern: { source: [OUTBOUND_SOURCE] },
      targets: [target],
    });
  }
}
