import { Arn, ArnFormat, CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvName } from '../../shared/config';
import { formatCredit } from '../../shared/domain/credit';
import { DetailTypes, EVENT_SOURCE } from '../../shared/domain/order-event';
import { TableSchema } from '../../shared/store/schema';
import { yaySettingsEnv } from '../../shared/yay/settings';
import { catalogEnvValue, configuredLoginUrls, configuredStoreFronts, type InfraConfig } from '../config';
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
import { type FunctionName, FunctionNames, STATE_MACHINE_NAME } from '../names';
import { EGRESS_IP_DESCRIPTION } from './stateful-stack';

/** Props of {@link ProvisioningStack}. */
export interface ProvisioningStackProps extends StackProps {
  readonly config: InfraConfig;
  /** False: inline placeholder code instead of esbuild bundles (local mode, fast tests). */
  readonly bundle: boolean;
  readonly table: ITableV2;
  readonly bus: IEventBus;
  readonly yaySecret: ISecret;
  readonly webhookSecret: ISecret;
  readonly namingKeySecret: ISecret;
  readonly passwordKeySecret: ISecret;
  /**
   * The Elastic IP(s) for the NAT gateway(s), one per gateway (the stateful stack's, so they survive this
   * stack). Required when `provisioning:staticEgressIp` is on; ignored otherwise.
   */
  readonly egressAddresses?: readonly EgressAddress[];
  /** The folder of the buyer e-mail templates. @default infra/email */
  readonly emailTemplatesFolder?: URL;
}

/** How long one Yay HTTP call may take before it counts as unavailable (or, for a transfer, unknown). */
const YAY_TIMEOUT_MS = 10_000;
/** Secrets are re-read this often, so a rotated value applies within minutes and no deploy. */
const SECRETS_MAX_AGE_SECONDS = 300;

/**
 * The item calls the workflow makes, and no more: every other data-plane action (BatchGetItem, BatchWriteItem,
 * ConditionCheckItem, DescribeTable, Scan) is the operator's, through the ops CLI and the console on the operator's
 * own credentials. Local mode enforces these lists on every call (local/README.md), so the e2e suites and the
 * soak prove them enough.
 */
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query'];
/** Item writes; a transaction would be authorized by these per item. */
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
/** Daily reconciliation reads every buyer → customer mapping, a scan of the table once a day. */
const TABLE_SCAN = ['dynamodb:Scan'];

/**
 * The functions that put events on the provisioning bus: intake (order facts), the outcome publishers, and the
 * sweep (`Order Needs Attention` for an order it leaves to a person).
 */
export const OUTBOUND_PUBLISHERS: readonly FunctionName[] = [
  'webhook-intake',
  'dispatch',
  'record-customer',
  'record-outcome',
  'sweep',
];

/**
 * The functions whose use cases query the sparse open-orders index: the sweep (open orders, unsettled transfers),
 * notify (the e-mails not yet sent, for the retry).
 */
const INDEX_READERS: readonly FunctionName[] = ['sweep', 'notify'];

/**
 * The functions that build a Yay client (`yayFromEnv` in their handler): they read the Yay secret and,
 * with a static egress IP, run in the VPC behind its NAT gateway.
 */
export const YAY_CALLERS: readonly FunctionName[] = [
  'create-customer',
  'transfer-credit',
  'reconcile-transfer',
  'sweep',
  'daily-reconciliation',
];

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
    const { config, table, bus, yaySecret, webhookSecret, namingKeySecret, passwordKeySecret } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    const yay: Partial<Record<EnvName, string>> = {
      YAY_API_BASE_URL: config.yayApiBaseUrl,
      YAY_STORE_FRONT: config.yayStoreFront,
      YAY_SECRET_ARN: yaySecret.secretArn,
      YAY_TIMEOUT_MS: String(YAY_TIMEOUT_MS),
      SECRETS_MAX_AGE_SECONDS: String(SECRETS_MAX_AGE_SECONDS),
      // Only the settings that differ from their defaults: a deployment that sets none gets no new variable.
      ...yaySettingsEnv(config.yaySettings),
    };
    const tableEnv: Partial<Record<EnvName, string>> = { TABLE_NAME: table.tableName };
    /** The functions that publish outbound facts (shared/domain/outbound-events.ts) on the bus. */
    const publishes: Partial<Record<EnvName, string>> = { EVENT_BUS_NAME: bus.eventBusName };
    const paymentWindowSeconds = String(config.paymentWindowDays * 86_400);
    /** The functions that derive what an order's money owes. */
    const derives: Partial<Record<EnvName, string>> = { CREDIT_FREE_ORDERS: String(config.creditFreeOrders) };
    const environments: Record<FunctionName, Partial<Record<EnvName, string>>> = {
      'webhook-intake': {
        EVENT_BUS_NAME: bus.eventBusName,
        WEBHOOK_SECRET_ARN: webhookSecret.secretArn,
        SECRETS_MAX_AGE_SECONDS: String(SECRETS_MAX_AGE_SECONDS),
        CREDIT_CATALOG: catalogEnvValue(config.creditCatalog, formatCredit),
      },
      // STATE_MACHINE_ARN is added below, once the state machine exists.
      dispatch: { ...tableEnv, ...publishes, ...derives },
      'create-customer': {
        ...tableEnv,
        ...yay,
        NAMING_KEY_SECRET_ARN: namingKeySecret.secretArn,
        PASSWORD_KEY_SECRET_ARN: passwordKeySecret.secretArn,
        // Only here: no other step picks a store front.
        YAY_STORE_FRONTS: JSON.stringify(configuredStoreFronts(config).stores),
      },
      'record-customer': { ...tableEnv, ...publishes },
      'await-payment': { ...tableEnv },
      'transfer-credit': { ...tableEnv, ...yay, ...derives },
      'reconcile-transfer': {
        ...tableEnv,
        ...yay,
        RECONCILE_BY_BALANCE_UP_TO: String(config.reconcileByBalanceUpToMillis),
      },
      'record-outcome': { ...tableEnv, ...publishes, ...derives },
      sweep: { ...tableEnv, ...yay, ...publishes, ...derives, PAYMENT_WINDOW_SECONDS: paymentWindowSeconds },
      'daily-reconciliation': { ...tableEnv, ...yay },
      // The e-mail variables are BuyerEmail's, with provisioning:emailSender; without, e-mail is off.
      notify: {
        ...tableEnv,
        PASSWORD_KEY_SECRET_ARN: passwordKeySecret.secretArn,
        SECRETS_MAX_AGE_SECONDS: String(SECRETS_MAX_AGE_SECONDS),
      },
    };

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

    // Least privilege, one line per need. Only intake publishes to the bus (dispatch only consumes it).
    // Intake never touches the table; only the index readers query the open-orders
    // index (written by hand rather than grantReadWriteData, whose `index/*` would cover every index).
    for (const name of FunctionNames) {
      if (name === 'webhook-intake') continue;
      const actions =
        name === 'daily-reconciliation' ? [...TABLE_READ, ...TABLE_SCAN] : [...TABLE_READ, ...TABLE_WRITE];
      fn(name).addToRolePolicy(new PolicyStatement({ actions, resources: [table.tableArn] }));
    }
    for (const name of INDEX_READERS) {
      fn(name).addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${table.tableArn}/index/${TableSchema.openOrdersIndex.name}`],
        }),
      );
    }
    // Transfer-credit checks the customer has no unreconciled transfer before crediting it.
    fn('transfer-credit').addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${TableSchema.customerTransfersIndex.name}`],
      }),
    );
    // The sweep walks the orders that may still owe credit, so nothing owed is forgotten.
    fn('sweep').addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${TableSchema.owedIndex.name}`],
      }),
    );
    for (const name of YAY_CALLERS) yaySecret.grantRead(fn(name));
    namingKeySecret.grantRead(fn('create-customer'));
    passwordKeySecret.grantRead(fn('create-customer'));
    passwordKeySecret.grantRead(fn('notify'));
    webhookSecret.grantRead(fn('webhook-intake'));
    // Intake publishes order facts; these publish outcomes (a rule matches each on its source).
    for (const name of OUTBOUND_PUBLISHERS) bus.grantPutEventsTo(fn(name));

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

    // The name is fixed, so the ARN can be written without a reference: await-payment sits inside the state
    // machine, and a reference from its role back to the state machine would be a dependency cycle.
    const stateMachineArn = Arn.format(
      {
        service: 'states',
        resource: 'stateMachine',
        resourceName: STATE_MACHINE_NAME,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      this,
    );
    const executionsArn = Arn.format(
      {
        service: 'states',
        resource: 'execution',
        resourceName: `${STATE_MACHINE_NAME}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      this,
    );
    const taskResponse = new PolicyStatement({
      actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
      resources: [stateMachineArn],
    });
    fn('await-payment').addToRolePolicy(taskResponse);
    // Its workflow adapter needs the ARN at init (it resumes at once when the order is already paid).
    functions['await-payment'].fn.addEnvironment('STATE_MACHINE_ARN', stateMachineArn);
    for (const name of ['dispatch', 'sweep'] as const) {
      functions[name].fn.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
      stateMachine.grantStartExecution(fn(name));
      fn(name).addToRolePolicy(taskResponse);
      fn(name).addToRolePolicy(
        new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionsArn] }),
      );
      Validations.of(functions[name].fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${STATE_MACHINE_NAME}:*]`,
        reason:
          'Executions are named per order at run time; the grant is limited to this state machine’s executions.',
      });
    }

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

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.url,
      description: 'Base URL of POST /webhooks/<provider>',
    });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'YaySecretArn', { value: yaySecret.secretArn });
    new CfnOutput(this, 'WebhookSecretArn', { value: webhookSecret.secretArn });
    new CfnOutput(this, 'NamingKeySecretArn', { value: namingKeySecret.secretArn });
    new CfnOutput(this, 'PasswordKeySecretArn', { value: passwordKeySecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'StoreFronts', {
      value: JSON.stringify(configuredStoreFronts(config)),
      description:
        'Yay store fronts new customers go under, {"default":"<uuid>","stores":{"<store id>":"<uuid>"}}: ' +
        "ops yay-check --aws checks each is one of the account's",
    });
    new CfnOutput(this, 'YaySettings', {
      value: JSON.stringify(yaySettingsEnv(config.yaySettings)),
      description:
        "The Yay functions' balance path, history path and credit allocation settings that differ from the " +
        'defaults, as environment variables ({} for none): ops yay-check --aws reports them',
    });
    new CfnOutput(this, 'NotifyFunctionName', {
      value: fn('notify').functionName,
      description: 'The buyer e-mail function: ops resend-welcome --aws invokes it (lambda:InvokeFunction)',
    });
    new CfnOutput(this, 'OutboundEventsLogGroup', {
      value: this.outboundEvents.logGroup.logGroupName,
      description: 'Every outbound event as published: ops events --aws reads it (logs:FilterLogEvents)',
    });
    if (config.emailSender) {
      new CfnOutput(this, 'EmailSender', {
        value: config.emailSender.address,
        description: 'The From address of the buyer e-mails: verify it, or its domain, in SES',
      });
    }
    if (this.egress) {
      // Also here, though the addresses are the stateful stack's: the ops CLI reads this stack's outputs.
      new CfnOutput(this, 'YayEgressIp', {
        value: Fn.join(
          ', ',
          this.egress.addresses.map((address) => address.publicIp),
        ),
        description: EGRESS_IP_DESCRIPTION,
      });
    }
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
