import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DetailTypes, EVENT_SOURCE } from '../../shared/domain/order-event';
import { configuredLoginUrls, type InfraConfig } from '../config';
import { BuyerEmail } from '../constructs/buyer-email';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import { type EgressAddress, EgressNetwork } from '../constructs/egress-network';
import { Monitoring } from '../constructs/monitoring';
import { OutboundEventsLog } from '../constructs/outbound-events-log';
import { type FunctionNetwork, ProvisioningFunction } from '../constructs/provisioning-function';
import { ProvisioningWorkflow } from '../constructs/provisioning-workflow';
import { ProvisioningSchedules } from '../constructs/schedules';
import { WebhookApi } from '../constructs/webhook-api';
import { loadEmailTemplates } from '../email-templates';
import { type FunctionName, FunctionNames } from '../names';
import { functionEnvironments } from './provisioning-environment';
import { grantDataAndSecrets, grantExecutionControl, YAY_CALLERS } from './provisioning-grants';
import { addProvisioningOutputs } from './provisioning-outputs';

/** The stateful stack's resources the functions are given names of and granted on. */
export interface StatefulResources {
  readonly table: ITableV2;
  readonly bus: IEventBus;
  readonly yaySecret: ISecret;
  readonly webhookSecret: ISecret;
  readonly namingKeySecret: ISecret;
  readonly passwordKeySecret: ISecret;
}

/** Props of {@link ProvisioningStack}. */
export interface ProvisioningStackProps extends StackProps, StatefulResources {
  readonly config: InfraConfig;
  /** False: inline placeholder code instead of esbuild bundles (local mode, fast tests). */
  readonly bundle: boolean;
  /**
   * The Elastic IP(s) for the NAT gateway(s), one per gateway (the stateful stack's, so they survive this
   * stack). Required when `provisioning:staticEgressIp` is on; ignored otherwise.
   */
  readonly egressAddresses?: readonly EgressAddress[];
  /** The folder of the buyer e-mail templates. @default infra/email */
  readonly emailTemplatesFolder?: URL;
}

/** Per-function sizing: what differs from the 30 s / 512 MB default. */
const SIZING: Partial<Record<FunctionName, { timeout: Duration; memorySize?: number }>> = {
  // Shopify wants an answer within 5 s; intake only verifies, maps and publishes.
  'webhook-intake': { timeout: Duration.seconds(10) },
  // May page through GET /account/reseller to adopt a customer whose create had an unknown outcome.
  'create-customer': { timeout: Duration.seconds(60) },
  'transfer-credit': { timeout: Duration.seconds(60) },
  'reconcile-transfer': { timeout: Duration.seconds(60) },
  sweep: { timeout: Duration.minutes(5) },
  'daily-reconciliation': { timeout: Duration.minutes(10) },
};

/**
 * Everything stateless: the Lambdas, the `CustomerProvisioning` state machine, the webhook API, the bus
 * rules, the schedules and the alarms. Can be destroyed and redeployed at will; the data lives in
 * {@link StatefulStack}.
 */
export class ProvisioningStack extends Stack {
  readonly functions: Readonly<Record<FunctionName, ProvisioningFunction>>;
  readonly workflow: ProvisioningWorkflow;
  readonly api: WebhookApi;
  readonly schedules: ProvisioningSchedules;
  readonly monitoring: Monitoring;
  readonly dispatchDeadLetters: DeadLetterQueue;
  readonly partnerDeadLetters: DeadLetterQueue | undefined;
  /** The VPC and NAT gateway(s) the Yay callers egress from; only with `provisioning:staticEgressIp`. */
  readonly egress: EgressNetwork | undefined;
  /** Every outbound event in a log group (e-mail on or off). */
  readonly outboundEvents: OutboundEventsLog;
  /** SES templates, configuration set, rules, schedule and grant; only with `provisioning:emailSender`. */
  readonly buyerEmail: BuyerEmail | undefined;

  constructor(scope: Construct, id: string, props: ProvisioningStackProps) {
    super(scope, id, props);
    const { config, bus } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    const environments = functionEnvironments(config, props);

    // Yay answers only allow-listed IPs; outside a VPC a Lambda's source address is not fixed.
    if (config.staticEgressIp && !props.egressAddresses?.length) {
      throw new Error(
        'ProvisioningStack egressAddresses is required when provisioning:staticEgressIp is true ' +
          '(the stateful stack allocates them)',
      );
    }
    this.egress = config.staticEgressIp
      ? new EgressNetwork(this, 'Egress', {
          addresses: props.egressAddresses ?? [],
          logRetention,
          egressPorts: [443, httpsPort(config.yayApiBaseUrl)],
        })
      : undefined;
    const network: FunctionNetwork | undefined = this.egress && {
      vpc: this.egress.vpc,
      vpcSubnets: this.egress.vpcSubnets,
      securityGroups: [this.egress.securityGroup],
    };

    const functions = {} as Record<FunctionName, ProvisioningFunction>;
    for (const name of FunctionNames) {
      functions[name] = new ProvisioningFunction(this, pascal(name), {
        name,
        environment: environments[name],
        bundle: props.bundle,
        logRetention,
        ...SIZING[name],
        // Only the Yay callers: the others gain nothing from a fixed address and would pay NAT data.
        ...(network && YAY_CALLERS.includes(name) ? { network } : {}),
      });
    }
    this.functions = functions;
    const fn = (name: FunctionName): IFunction => functions[name].fn;
    grantDataAndSecrets(fn, props);

    this.workflow = new ProvisioningWorkflow(this, 'Workflow', {
      functions: {
        createCustomer: fn('create-customer'),
        recordCustomer: fn('record-customer'),
        awaitPayment: fn('await-payment'),
        transferCredit: fn('transfer-credit'),
        reconcileTransfer: fn('reconcile-transfer'),
        recordOutcome: fn('record-outcome'),
      },
      paymentWindow: Duration.days(config.paymentWindowDays),
      logRetention,
    });
    const stateMachine = this.workflow.stateMachine;
    grantExecutionControl(this, functions, stateMachine);
    // Bus → dispatch: every order fact, retried for a day, then dead-lettered (alarmed).
    this.dispatchDeadLetters = new DeadLetterQueue(this, 'DispatchDeadLetters');
    new Rule(this, 'OrderEventsToDispatch', {
      description: 'Order and payment facts published by intake start or resume the provisioning workflow',
      eventBus: bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: Object.values(DetailTypes) },
      targets: [
        new LambdaFunction(fn('dispatch'), {
          deadLetterQueue: this.dispatchDeadLetters.queue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    // Stripe/Shopify native EventBridge delivery: the partner bus feeds intake, which maps and republishes.
    if (config.partnerEventBusName) {
      this.partnerDeadLetters = new DeadLetterQueue(this, 'PartnerDeadLetters');
      const partnerBus = EventBus.fromEventBusName(this, 'PartnerBus', config.partnerEventBusName);
      new Rule(this, 'PartnerEventsToIntake', {
        description: 'Native store events (partner event source) are normalized by webhook-intake',
        eventBus: partnerBus,
        eventPattern: { source: Match.prefix('aws.partner/') },
        targets: [
          new LambdaFunction(fn('webhook-intake'), {
            deadLetterQueue: this.partnerDeadLetters.queue,
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
          }),
        ],
      });
    }

    this.outboundEvents = new OutboundEventsLog(this, 'OutboundEvents', { bus, logRetention });

    // Read and checked even with e-mail off, so a broken template fails this synth, not the day e-mail is turned on.
    const emailTemplates = loadEmailTemplates(props.emailTemplatesFolder);
    this.buyerEmail = config.emailSender
      ? new BuyerEmail(this, 'BuyerEmail', {
          notify: functions.notify.fn,
          bus,
          sender: config.emailSender,
          ...(config.emailConfigurationSet ? { configurationSetName: config.emailConfigurationSet } : {}),
          templates: emailTemplates,
          // The config guarantees a default sign-in address whenever a sender is set.
          loginUrls: { default: config.storeLoginUrl ?? '', stores: configuredLoginUrls(config) },
        })
      : undefined;

    this.api = new WebhookApi(this, 'WebhookApi', { intake: fn('webhook-intake'), logRetention });

    this.schedules = new ProvisioningSchedules(this, 'Schedules', {
      sweep: fn('sweep'),
      dailyReconciliation: fn('daily-reconciliation'),
    });

    // EventBridge and the Scheduler invoke asynchronously: their dead-letter queues only catch events that
    // could not be delivered. An event the function received and then failed on is Lambda's to keep — after
    // its own two retries it goes to the same queue instead of vanishing.
    const keepFailedEvents = (name: FunctionName, queue: DeadLetterQueue) =>
      functions[name].fn.configureAsyncInvoke({
        onFailure: new SqsDestination(queue.queue),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      });
    keepFailedEvents('dispatch', this.dispatchDeadLetters);
    keepFailedEvents('sweep', this.schedules.sweepDeadLetters);
    keepFailedEvents('daily-reconciliation', this.schedules.reconciliationDeadLetters);
    if (this.partnerDeadLetters) keepFailedEvents('webhook-intake', this.partnerDeadLetters);
    if (this.buyerEmail) keepFailedEvents('notify', this.buyerEmail.deadLetters);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine,
      intake: fn('webhook-intake'),
      api: this.api.api,
      deadLetterQueues: {
        Dispatch: this.dispatchDeadLetters.queue,
        Sweep: this.schedules.sweepDeadLetters.queue,
        Reconciliation: this.schedules.reconciliationDeadLetters.queue,
        ...(this.partnerDeadLetters ? { Partner: this.partnerDeadLetters.queue } : {}),
        ...(this.buyerEmail ? { Email: this.buyerEmail.deadLetters.queue } : {}),
      },
      buyerEmail: this.buyerEmail !== undefined,
      alarmEmail: config.alarmEmail,
      resellerBalanceFloorMillis: config.resellerBalanceFloorMillis,
    });

    addProvisioningOutputs(this, props);
  }
}

/** The TCP port of an https base URL (443 unless it names one). */
function httpsPort(baseUrl: string): number {
  const { port } = new URL(baseUrl);
  return port === '' ? 443 : Number(port);
}

/** `transfer-credit` → `TransferCredit`: construct ids (never change once deployed). */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
