import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/provisioning-function';
import { type FunctionName, FunctionNames } from '../../infra/names';
import { EnvNames } from '../../shared/config';
import { DetailTypes, EVENT_SOURCE } from '../../shared/domain/order-event';
import { MetricNames } from '../../shared/metric-names';
import {
  actionsOf,
  functionLogicalId,
  functionProperties,
  type Statement,
  statementsGranting,
  statementsOf,
  statementsOfRole,
  synthesized,
} from './synth';

const { provisioning } = synthesized();
const resources = provisioning.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const single = (type: string) => {
  const [found, ...rest] = ofType(type);
  if (!found || rest.length > 0) throw new Error(`expected exactly one ${type}`);
  return found;
};
const env = (name: FunctionName) =>
  (functionProperties(provisioning, name).Environment as { Variables: Record<string, unknown> }).Variables;
const text = (value: unknown) => JSON.stringify(value);
const grants = (name: FunctionName, action: string): Statement[] =>
  statementsGranting(provisioning, name, action);
const WITH_TABLE = FunctionNames.filter((n) => n !== 'webhook-intake');
const YAY_CALLERS: FunctionName[] = [
  'create-customer',
  'transfer-credit',
  'reconcile-transfer',
  'sweep',
  'daily-reconciliation',
];
/** Intake (order facts), the steps that publish outcomes (shared/domain/outbound-events.ts), and the sweep. */
const OUTBOUND_PUBLISHERS: FunctionName[] = [
  'webhook-intake',
  'dispatch',
  'record-customer',
  'record-outcome',
  'sweep',
];

describe('ProvisioningStack functions', () => {
  it('creates one Lambda per function folder, each tagged with its folder name for local mode', () => {
    const tagged = ofType('AWS::Lambda::Function').map(([, r]) => r.Metadata?.[FUNCTION_METADATA_KEY]);
    expect([...tagged].sort()).toEqual([...FunctionNames].sort());
  });

  it('runs every function on arm64, Node.js 22 or newer, with active tracing and its own log group', () => {
    for (const name of FunctionNames) {
      const props = functionProperties(provisioning, name);
      expect(props.Architectures, name).toEqual(['arm64']);
      expect(Number(/^nodejs(\d+)\.x$/.exec(String(props.Runtime))?.[1]), name).toBeGreaterThanOrEqual(22);
      expect(props.TracingConfig, name).toEqual({ Mode: 'Active' });
      expect(text(props.LoggingConfig), name).toContain('LogGroup');
    }
    provisioning.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('sets the Powertools service and namespace the alarms and dashboard read', () => {
    for (const name of FunctionNames) {
      expect(env(name), name).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'yay-provisioning',
        POWERTOOLS_METRICS_NAMESPACE: 'YayProvisioning',
      });
    }
  });

  it('gives each function only the environment its step reads, by the shared EnvNames', () => {
    const known = new Set<string>([...Object.values(EnvNames), 'NODE_OPTIONS']);
    for (const name of FunctionNames) {
      for (const key of Object.keys(env(name))) {
        if (!key.startsWith('POWERTOOLS_'))
          expect(known.has(key), `${name} has unknown env ${key}`).toBe(true);
      }
    }
    expect(env('webhook-intake')).not.toHaveProperty(EnvNames.TABLE_NAME);
    expect(env('webhook-intake')).toHaveProperty(EnvNames.WEBHOOK_SECRET_ARN);
    expect(env('webhook-intake')).toHaveProperty(EnvNames.EVENT_BUS_NAME);
    expect(JSON.parse(String(env('webhook-intake')[EnvNames.CREDIT_CATALOG]))).toEqual({
      'CREDIT-10': { GBP: '10.000' },
      'CREDIT-25': { GBP: '25.000' },
      'CREDIT-50': { GBP: '50.000' },
    });
    expect(env('create-customer')).toMatchObject({
      [EnvNames.YAY_API_BASE_URL]: 'https://api.yay.com',
      [EnvNames.YAY_STORE_FRONT]: '00000000-0000-4000-8000-000000000000',
    });
    expect(env('create-customer')).toHaveProperty(EnvNames.NAMING_KEY_SECRET_ARN);
    expect(env('transfer-credit')).not.toHaveProperty(EnvNames.NAMING_KEY_SECRET_ARN);
    expect(env('sweep')[EnvNames.PAYMENT_WINDOW_SECONDS]).toBe(String(28 * 86_400));
    for (const name of ['dispatch', 'sweep'] as const) {
      expect(text(env(name)[EnvNames.STATE_MACHINE_ARN]), name).toMatch(/^\{"Ref":"WorkflowStateMachine/);
    }
    // await-payment runs inside the state machine: its ARN is spelled out, a Ref would be a cycle.
    expect(text(env('await-payment')[EnvNames.STATE_MACHINE_ARN])).toContain(
      ':stateMachine:CustomerProvisioning',
    );
    for (const name of YAY_CALLERS) expect(env(name), name).toHaveProperty(EnvNames.YAY_SECRET_ARN);
    for (const name of WITH_TABLE) expect(env(name), name).toHaveProperty(EnvNames.TABLE_NAME);
  });

  it('gives no function a Yay settings variable while every setting is at its default, as in cdk.json', () => {
    const settings = [
      EnvNames.YAY_CUSTOMER_BALANCE_PATH,
      EnvNames.YAY_BALANCE_HISTORY_PATH,
      EnvNames.YAY_CREDIT_ALLOCATION,
      EnvNames.YAY_CREDIT_ALLOCATION_NET,
    ];
    for (const name of FunctionNames) {
      for (const key of settings) expect(env(name), name).not.toHaveProperty(key);
    }
    const outputs = provisioning.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.YaySettings?.Value).toBe('{}');
  });

  it("gives create-customer, and no other function, the stores' store fronts: none of its own in cdk.json", () => {
    expect(env('create-customer')[EnvNames.YAY_STORE_FRONTS]).toBe('{}');
    for (const name of FunctionNames.filter((n) => n !== 'create-customer')) {
      expect(env(name), name).not.toHaveProperty(EnvNames.YAY_STORE_FRONTS);
    }
  });
});

describe('ProvisioningStack IAM (least privilege)', () => {
  const grants = (name: FunctionName, action: string): Statement[] =>
    statementsGranting(provisioning, name, action);

  it('keeps webhook-intake away from the table, the Yay credentials and the state machine', () => {
    const actions = actionsOf(provisioning, 'webhook-intake');
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
    expect(text(statementsOf(provisioning, 'webhook-intake'))).not.toContain('YaySecret');
    expect(text(grants('webhook-intake', 'secretsmanager:GetSecretValue'))).toContain('WebhookSecret');
  });

  it('lets only intake and the outcome publishers put events, on the provisioning bus only', () => {
    for (const name of FunctionNames) {
      expect(grants(name, 'events:PutEvents').length > 0, name).toBe(OUTBOUND_PUBLISHERS.includes(name));
    }
    for (const name of OUTBOUND_PUBLISHERS) {
      expect(text(grants(name, 'events:PutEvents')), name).toContain('Bus');
      expect(text(grants(name, 'events:PutEvents')), name).not.toContain('"*"');
    }
  });

  it('lets only dispatch and sweep start or describe executions', () => {
    for (const name of FunctionNames) {
      const allowed = name === 'dispatch' || name === 'sweep';
      expect(grants(name, 'states:StartExecution').length > 0, name).toBe(allowed);
      expect(grants(name, 'states:DescribeExecution').length > 0, name).toBe(allowed);
    }
    expect(text(grants('sweep', 'states:DescribeExecution'))).toContain(':execution:CustomerProvisioning:*');
  });

  it('lets only dispatch, await-payment and sweep answer a task token', () => {
    for (const name of FunctionNames) {
      const allowed = name === 'dispatch' || name === 'await-payment' || name === 'sweep';
      expect(grants(name, 'states:SendTaskSuccess').length > 0, name).toBe(allowed);
      expect(grants(name, 'states:SendTaskFailure').length > 0, name).toBe(allowed);
    }
    expect(text(grants('await-payment', 'states:SendTaskSuccess'))).toContain(
      ':stateMachine:CustomerProvisioning',
    );
  });

  it('gives Yay credentials only to the steps that call Yay, and the naming key only to create-customer', () => {
    for (const name of FunctionNames) {
      const secrets = text(grants(name, 'secretsmanager:GetSecretValue'));
      expect(secrets.includes('YaySecret'), name).toBe(YAY_CALLERS.includes(name));
      expect(secrets.includes('NamingKeySecret'), name).toBe(name === 'create-customer');
      expect(secrets.includes('PasswordKeySecret'), name).toBe(
        name === 'create-customer' || name === 'notify',
      );
    }
  });

  it('gives table writes to the workflow steps, reads only to daily-reconciliation, and each index only to its readers', () => {
    for (const name of WITH_TABLE) {
      expect(grants(name, 'dynamodb:GetItem').length, name).toBe(1);
      expect(grants(name, 'dynamodb:UpdateItem').length, name).toBe(name === 'daily-reconciliation' ? 0 : 1);
    }
    for (const name of FunctionNames) {
      const statements = text(statementsOf(provisioning, name));
      // sweep lists open orders and unsettled transfers; notify the e-mails still to send.
      expect(statements.includes('/index/OpenOrders'), name).toBe(name === 'sweep' || name === 'notify');
      // transfer-credit checks its customer has no unreconciled transfer.
      expect(statements.includes('/index/CustomerTransfers'), name).toBe(name === 'transfer-credit');
      // sweep walks the orders that may still owe credit.
      expect(statements.includes('/index/OwedCredit'), name).toBe(name === 'sweep');
      expect(statements, name).not.toContain('/index/*');
    }
    expect(text(grants('sweep', 'dynamodb:Query'))).toContain('/index/OpenOrders');
    expect(text(grants('transfer-credit', 'dynamodb:Query'))).toContain('/index/CustomerTransfers');
    expect(text(grants('sweep', 'dynamodb:Query'))).toContain('/index/OwedCredit');
  });

  it('grants the table only the item calls the workflow makes; a scan only to daily-reconciliation', () => {
    for (const name of FunctionNames) {
      const table = actionsOf(provisioning, name).filter((action) => action.startsWith('dynamodb:'));
      // The operator's reads (the console's BatchGetItem, ops' scans) and what nothing calls stay out of every role.
      for (const unused of ['BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem', 'DescribeTable'])
        expect(table, name).not.toContain(`dynamodb:${unused}`);
      expect(table.includes('dynamodb:Scan'), name).toBe(name === 'daily-reconciliation');
    }
  });

  it('grants no function a wildcard action', () => {
    for (const name of FunctionNames) {
      expect(
        actionsOf(provisioning, name).filter((a) => a.includes('*')),
        name,
      ).toEqual([]);
    }
  });

  it('lets the state machine invoke exactly its six step functions', () => {
    const [, machine] = single('AWS::StepFunctions::StateMachine');
    const role = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const invoked = statementsOfRole(provisioning, role)
      .filter((s) => s.Action === 'lambda:InvokeFunction')
      .map((s) => text(s.Resource));
    const steps: FunctionName[] = [
      'create-customer',
      'record-customer',
      'await-payment',
      'transfer-credit',
      'reconcile-transfer',
      'record-outcome',
    ];
    expect(invoked).toHaveLength(steps.length);
    for (const step of steps) {
      expect(
        invoked.some((r) => r.includes(functionLogicalId(provisioning, step))),
        step,
      ).toBe(true);
    }
  });
});

describe('ProvisioningStack events', () => {
  it('routes the order facts from intake to dispatch with retries and a dead-letter queue', () => {
    provisioning.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': Object.values(DetailTypes) },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionLogicalId(provisioning, 'dispatch'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DispatchDeadLetters'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
  });

  it('sends events a function received but failed on to the dead-letter queue of their source', () => {
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    const queueOf = (name: FunctionName) => {
      const config = configs.find((c) =>
        text(c.FunctionName).includes(functionLogicalId(provisioning, name)),
      );
      expect(config, name).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 6 * 3600 });
      const destination = config?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined;
      return text(destination?.OnFailure?.Destination);
    };
    expect(configs).toHaveLength(3);
    expect(queueOf('dispatch')).toContain('DispatchDeadLetters');
    expect(queueOf('sweep')).toContain('SweepDeadLetters');
    expect(queueOf('daily-reconciliation')).toContain('ReconciliationDeadLetters');
    expect(text(grants('dispatch', 'sqs:SendMessage'))).toContain('DispatchDeadLetters');
  });

  it('adds no partner-bus rule when no partner event bus is configured (dispatch and the outbound log only)', () => {
    expect(ofType('AWS::Events::Rule')).toHaveLength(2);
  });

  it('serves POST /webhooks/<provider> for the three stores through webhook-intake, throttled and access-logged', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([
      'POST /webhooks/shopify',
      'POST /webhooks/stripe',
      'POST /webhooks/woocommerce',
    ]);
    provisioning.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionLogicalId(provisioning, 'webhook-intake'), 'Arn'] },
    });
    provisioning.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });
});

describe('ProvisioningStack schedules', () => {
  const schedules = ofType('AWS::Scheduler::Schedule').map(([, r]) => r.Properties);
  const scheduleFor = (name: FunctionName) => {
    const found = schedules.find((s) => text(s.Target).includes(functionLogicalId(provisioning, name)));
    if (!found) throw new Error(`no schedule targets ${name}`);
    return found as { ScheduleExpression: string; Target: Record<string, unknown> };
  };

  it('runs the sweep every 15 minutes and the reconciliation once a day', () => {
    expect(schedules).toHaveLength(2);
    expect(scheduleFor('sweep').ScheduleExpression).toBe('rate(15 minutes)');
    expect(scheduleFor('daily-reconciliation').ScheduleExpression).toMatch(/^cron\(\d+ \d+ \* \* \? \*\)$/);
  });

  it('retries each schedule and dead-letters what still fails, each into its own queue', () => {
    const queues = new Set<string>();
    for (const name of ['sweep', 'daily-reconciliation'] as const) {
      const target = scheduleFor(name).Target as {
        RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
        DeadLetterConfig: { Arn: unknown };
      };
      expect(target.RetryPolicy.MaximumRetryAttempts, name).toBeGreaterThan(0);
      expect(target.RetryPolicy.MaximumEventAgeInSeconds, name).toBeGreaterThan(0);
      expect(text(target.DeadLetterConfig.Arn), name).toMatch(/DeadLetters/);
      queues.add(text(target.DeadLetterConfig.Arn));
    }
    expect(queues.size).toBe(2);
  });
});

describe('ProvisioningStack alarms', () => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(
    ([id, r]) => ({ id, ...r.Properties }) as Record<string, unknown> & { id: string },
  );
  const alarm = (idPart: string) => {
    const found = alarms.find((a) => a.id.includes(idPart));
    if (!found) throw new Error(`no alarm ${idPart}`);
    return found as Record<string, unknown>;
  };

  it('notifies the encrypted alarm topic from every alarm', () => {
    provisioning.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const [topicId] = single('AWS::SNS::Topic');
    for (const a of alarms) expect(a.AlarmActions, a.id).toEqual([{ Ref: topicId }]);
  });

  it('alarms on the first failed execution', () => {
    expect(alarm('ExecutionsFailed')).toMatchObject({
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on transfers needing review and refunds after credit, as the handlers emit them', () => {
    for (const [id, metric] of [
      ['TransferNeedsReview', MetricNames.TransfersNeedingReview],
      ['RefundAfterCredit', MetricNames.RefundAfterCredit],
    ] as const) {
      expect(alarm(id), id).toMatchObject({
        MetricName: metric,
        Namespace: 'YayProvisioning',
        Dimensions: [{ Name: 'service', Value: 'yay-provisioning' }],
        Threshold: 1,
      });
    }
  });

  it('alarms on the first order that needs a person, summed over five minutes, to the alarm topic', () => {
    const [topicId] = single('AWS::SNS::Topic');
    expect(alarm('OrdersNeedAttention')).toMatchObject({
      MetricName: MetricNames.OrdersNeedingAttention,
      Namespace: 'YayProvisioning',
      Dimensions: [{ Name: 'service', Value: 'yay-provisioning' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('alarms when the reseller balance no longer covers the credit owed', () => {
    const balance = alarm('ResellerBalanceLow') as { Metrics: Array<Record<string, unknown>> };
    const expression = balance.Metrics.find((m) => m.Expression)?.Expression;
    expect(expression).toBe('owed + 0 - balance');
    expect(text(balance.Metrics)).toContain(MetricNames.ResellerBalanceMillis);
    expect(text(balance.Metrics)).toContain(MetricNames.CreditOwedMillis);
    expect(balance).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms when any dead-letter queue holds a message', () => {
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    expect(queues).toHaveLength(3);
    for (const queue of queues) {
      expect(
        alarms.some(
          (a) =>
            a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            text(a.Dimensions).includes(queue) &&
            a.Threshold === 1,
        ),
        queue,
      ).toBe(true);
    }
  });

  it('alarms on intake Lambda errors and on 5xx from the webhook API', () => {
    expect(text(alarm('IntakeErrors').Dimensions)).toContain(
      functionLogicalId(provisioning, 'webhook-intake'),
    );
    expect(alarm('IntakeErrors').MetricName).toBe('Errors');
    expect(alarm('IntakeServerErrors')).toMatchObject({ MetricName: '5xx', Namespace: 'AWS/ApiGateway' });
  });

  it('subscribes no e-mail when provisioning:alarmEmail is empty', () => {
    expect(ofType('AWS::SNS::Subscription')).toHaveLength(0);
  });

  it('draws a dashboard of orders, credit moved, failures and reseller balance', () => {
    const [, dashboard] = single('AWS::CloudWatch::Dashboard');
    const body = text(dashboard.Properties.DashboardBody);
    for (const title of ['Orders', 'Credit moved', 'Failures', 'Reseller balance'])
      expect(body).toContain(title);
    for (const metric of [
      MetricNames.OrdersReceived,
      MetricNames.CreditMovedMillis,
      MetricNames.ResellerBalanceMillis,
    ]) {
      expect(body).toContain(metric);
    }
    // Rejections carry provider/reason dimensions: only a search across them finds the series.
    expect(body).toMatch(
      /SUM\(SEARCH\('\{YayProvisioning,provider,reason,service\} MetricName=\W+WebhooksRejected/,
    );
  });
});

describe('ProvisioningStack outputs', () => {
  it('exports what the ops CLI reads: API URL, state machine, table, bus, secret ARNs, notify and the events log', () => {
    const outputs = Object.keys(provisioning.toJSON().Outputs ?? {});
    for (const name of [
      'ApiUrl',
      'StateMachineArn',
      'TableName',
      'EventBusName',
      'YaySecretArn',
      'WebhookSecretArn',
      'NamingKeySecretArn',
      'NotifyFunctionName',
      'OutboundEventsLogGroup',
    ]) {
      expect(outputs).toContain(name);
    }
  });

  it('outputs the configured store fronts as JSON for ops yay-check --aws: the default alone in cdk.json', () => {
    const value = (provisioning.toJSON().Outputs as Record<string, { Value: unknown }>).StoreFronts?.Value;
    expect(JSON.parse(String(value))).toEqual({
      default: '00000000-0000-4000-8000-000000000000',
      stores: {},
    });
  });
});
