import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/app-factory';
import { ContextKeys, loadInfraConfig } from '../../infra/config';
import { handlerEntry, repoRoot } from '../../infra/constructs/bundling';
import { EmailTemplateNames } from '../../infra/email-templates';
import { type FunctionName, FunctionNames } from '../../infra/names';
import { ProvisioningStack } from '../../infra/stacks/provisioning-stack';
import { StatefulStack } from '../../infra/stacks/stateful-stack';
import { EnvNames } from '../../shared/config';
import { OUTBOUND_SOURCE, OutboundDetailTypes } from '../../shared/domain/outbound-events';
import { MetricNames } from '../../shared/metric-names';
import { SES_DETAIL_TYPES } from '../../shared/workflow/notify';
import { functionLogicalId, functionProperties, statementsOf, synthesized } from './synth';

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

interface Synth {
  readonly built: ReturnType<typeof buildApp>;
  readonly template: Template;
}

/** One synth per context, shared by the file; the assembly is read into memory and removed at once. */
const synths = new Map<string, Synth>();
function synthWith(context: Record<string, unknown>): Synth {
  const key = JSON.stringify(context);
  const cached = synths.get(key);
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-email-test-'));
  try {
    const built = buildApp({ bundle: false, outdir, context });
    built.app.synth();
    const synth = { built, template: Template.fromStack(built.provisioning) };
    synths.set(key, synth);
    return synth;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const SENDER_ADDRESS = 'noreply@shop.example';
const LOGIN_URL = 'https://shop.example/login';
const SHOP_A_LOGIN_URL = 'https://shop-a.example/account';
const emailOn = {
  // A display name with a comma: it must reach SES quoted.
  [ContextKeys.emailSender]: `Shop, Inc. <${SENDER_ADDRESS}>`,
  [ContextKeys.storeLoginUrl]: LOGIN_URL,
  [ContextKeys.stores]: {
    'shop-a.myshopify.com': { loginUrl: SHOP_A_LOGIN_URL },
    'shop.example.org': { storeFront: '5a4d0000-0000-4000-8000-0000000000b2' },
  },
};

const text = (value: unknown) => JSON.stringify(value);
const resourcesOf = (template: Template) => template.toJSON().Resources as Record<string, Resource>;
const ofType = (template: Template, type: string) =>
  Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === type);
const envOf = (template: Template, name: FunctionName) =>
  (functionProperties(template, name).Environment as { Variables: Record<string, unknown> }).Variables;
const outputsOf = (template: Template) =>
  (template.toJSON().Outputs ?? {}) as Record<string, { Value: unknown; Description?: string }>;
/** The one resource of `type` (whose logical id starts with `prefix`); throws when there is not exactly one. */
const only = (template: Template, type: string, prefix = ''): [string, Resource] => {
  const found = ofType(template, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${found.length}`);
  return found[0] as [string, Resource];
};
const actionsIn = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
/** Every IAM statement of every policy in the template, with the roles it is attached to. */
const allStatements = (template: Template) =>
  ofType(template, 'AWS::IAM::Policy').flatMap(([, policy]) =>
    ((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((statement) => ({
      statement,
      roles: text(policy.Properties.Roles),
    })),
  );
/** An ARN as text, `Fn::Join` flattened and each reference written `${Ref}`. */
const arnText = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(arnText).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `\${${ref}}`;
  return text(value);
};
const rulesOf = (template: Template) =>
  ofType(template, 'AWS::Events::Rule').map(
    ([id, r]) => ({ id, ...r.Properties }) as Record<string, unknown>,
  );
const targetsNotify = (template: Template, value: unknown) =>
  text(value).includes(functionLogicalId(template, 'notify'));
const notifyRole = (template: Template) =>
  (functionProperties(template, 'notify').Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

describe('buyer e-mail off (cdk.json sets no sender)', () => {
  const { provisioning: off } = synthesized();

  it('creates no SES resource, and grants no SES action to anyone', () => {
    expect(Object.values(resourcesOf(off)).filter((r) => r.Type.startsWith('AWS::SES::'))).toEqual([]);
    const ses = allStatements(off).filter(({ statement }) =>
      actionsIn(statement).some((a) => a.startsWith('ses:')),
    );
    expect(ses).toEqual([]);
  });

  it('adds no rule, schedule, dead-letter queue or alarm for notify, and no e-mail variables', () => {
    expect(rulesOf(off).filter((rule) => rule.EventBusName === 'default')).toEqual([]);
    expect(rulesOf(off).filter((rule) => targetsNotify(off, rule.Targets))).toEqual([]);
    const schedules = ofType(off, 'AWS::Scheduler::Schedule');
    expect(schedules.filter(([, s]) => targetsNotify(off, s.Properties.Target))).toEqual([]);
    expect(ofType(off, 'AWS::CloudWatch::Alarm').map(([id]) => id)).not.toContainEqual(
      expect.stringMatching(/EmailsFailed|DeadLettersEmail/),
    );
    for (const name of [
      EnvNames.EMAIL_SENDER,
      EnvNames.EMAIL_CONFIGURATION_SET,
      EnvNames.EMAIL_TEMPLATES,
      EnvNames.STORE_LOGIN_URL,
      EnvNames.STORE_LOGIN_URLS,
    ]) {
      expect(envOf(off, 'notify'), name).not.toHaveProperty(name);
    }
    expect(outputsOf(off)).not.toHaveProperty('EmailSender');
    expect(outputsOf(off)).toHaveProperty('NotifyFunctionName');
  });
});

describe.each([
  ['off', () => synthesized().provisioning],
  ['on', () => synthWith(emailOn).template],
])('outbound events log (e-mail %s)', (_state, template) => {
  it('writes every outbound event to a log group of the configured retention, and outputs its name', () => {
    const t = template();
    const [groupId, group] = only(t, 'AWS::Logs::LogGroup', 'OutboundEvents');
    expect(group.Properties).toMatchObject({
      LogGroupName: '/aws/events/YayProvisioning/outbound-events',
      RetentionInDays: 90,
    });
    const rule = rulesOf(t).find((r) => text(r.Targets).includes(groupId));
    expect(rule?.EventPattern).toEqual({ source: [OUTBOUND_SOURCE] });
    expect(text(rule?.EventBusName)).toContain('Bus');
    const [target] = (rule?.Targets ?? []) as Array<{ Arn: unknown; Input?: unknown }>;
    expect(arnText(target?.Arn)).toBe(
      `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:\${${groupId}}`,
    );
    expect(target).not.toHaveProperty('Input');
    expect(outputsOf(t).OutboundEventsLogGroup?.Value).toEqual({ Ref: groupId });
  });

  it('lets EventBridge, and only EventBridge, write to it through the log group resource policy', () => {
    const t = template();
    const [, policy] = only(t, 'AWS::Logs::ResourcePolicy');
    const document = text(policy.Properties.PolicyDocument);
    expect(document).toContain('events.amazonaws.com');
    expect(document).toContain('logs:CreateLogStream');
    expect(document).toContain('logs:PutLogEvents');
    expect(document).toContain('OutboundEventsLogGroup');
    // No custom-resource Lambda puts the policy: every function is one of ours.
    expect(ofType(t, 'AWS::Lambda::Function')).toHaveLength(FunctionNames.length);
  });
});

describe('buyer e-mail on (provisioning:emailSender set)', () => {
  const { built, template: on } = synthWith(emailOn);
  const expectedNames = { welcome: 'YayProvisioning-welcome', receipt: 'YayProvisioning-receipt' };

  it('creates the two SES templates from infra/email: subject, text and html as the reseller wrote them', () => {
    const templates = ofType(on, 'AWS::SES::Template').map(
      ([, r]) => r.Properties.Template as Record<string, string>,
    );
    expect(templates.map((t) => t.TemplateName).sort()).toEqual(Object.values(expectedNames).sort());
    for (const kind of EmailTemplateNames) {
      const file = (suffix: string) =>
        readFileSync(new URL(`../../infra/email/${kind}.${suffix}`, import.meta.url), 'utf8');
      const found = templates.find((t) => t.TemplateName === expectedNames[kind]);
      expect(found, kind).toEqual({
        TemplateName: expectedNames[kind],
        SubjectPart: file('subject.txt').trim(),
        TextPart: file('txt'),
        HtmlPart: file('html'),
      });
    }
  });

  it('gives notify the sender, configuration set, template names and sign-in addresses, as plain values', () => {
    expect(envOf(on, 'notify')).toMatchObject({
      [EnvNames.EMAIL_SENDER]: `"Shop, Inc." <${SENDER_ADDRESS}>`,
      [EnvNames.EMAIL_CONFIGURATION_SET]: 'YayProvisioning-email',
      [EnvNames.STORE_LOGIN_URL]: LOGIN_URL,
    });
    expect(JSON.parse(String(envOf(on, 'notify')[EnvNames.EMAIL_TEMPLATES]))).toEqual(expectedNames);
    // Only the stores with a sign-in address of their own.
    expect(JSON.parse(String(envOf(on, 'notify')[EnvNames.STORE_LOGIN_URLS]))).toEqual({
      'shop-a.myshopify.com': SHOP_A_LOGIN_URL,
    });
    for (const name of FunctionNames.filter((n) => n !== 'notify')) {
      expect(envOf(on, name), name).not.toHaveProperty(EnvNames.EMAIL_SENDER);
      expect(envOf(on, name), name).not.toHaveProperty(EnvNames.STORE_LOGIN_URLS);
    }
  });

  it('creates its own configuration set, TLS required, publishing sends and rendering failures to the default bus', () => {
    const [setId, set] = only(on, 'AWS::SES::ConfigurationSet');
    expect(set.Properties).toMatchObject({
      Name: 'YayProvisioning-email',
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    });
    const [, destination] = only(on, 'AWS::SES::ConfigurationSetEventDestination');
    expect(destination.Properties.ConfigurationSetName).toEqual({ Ref: setId });
    const event = destination.Properties.EventDestination as Record<string, unknown>;
    expect(event.MatchingEventTypes).toEqual(['send', 'renderingFailure']);
    expect(arnText((event.EventBridgeDestination as { EventBusArn: unknown }).EventBusArn)).toBe(
      `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/default`,
    );
  });

  it('lets notify alone send, only ses:SendEmail, only from the sender address, only on its identities, set and templates', () => {
    const ses = allStatements(on).filter(({ statement }) =>
      actionsIn(statement).some((a) => a.startsWith('ses:')),
    );
    expect(ses).toHaveLength(1);
    const [{ statement, roles }] = ses as [{ statement: Statement; roles: string }];
    expect(roles).toBe(text([{ Ref: notifyRole(on) }]));
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: 'ses:SendEmail',
      Condition: { StringEquals: { 'ses:FromAddress': SENDER_ADDRESS } },
    });
    const arn = (resource: string) =>
      `arn:\${AWS::Partition}:ses:\${AWS::Region}:\${AWS::AccountId}:${resource}`;
    expect((statement.Resource as unknown[]).map(arnText)).toEqual([
      arn(`identity/${SENDER_ADDRESS}`),
      arn('identity/shop.example'),
      arn('configuration-set/YayProvisioning-email'),
      arn('template/YayProvisioning-welcome'),
      arn('template/YayProvisioning-receipt'),
    ]);
  });

  it('grants ses:SendRawEmail, or any ses wildcard, to nobody', () => {
    const actions = allStatements(on).flatMap(({ statement }) => actionsIn(statement));
    expect(actions.filter((a) => a.startsWith('ses:'))).toEqual(['ses:SendEmail']);
    expect(ofType(on, 'AWS::IAM::ManagedPolicy')).toEqual([]);
    for (const name of FunctionNames.filter((n) => n !== 'notify')) {
      expect(text(statementsOf(on, name)), name).not.toContain('ses:');
    }
  });

  it('routes Customer Created and Credit Transferred to notify, retried for a day, then dead-lettered', () => {
    const rule = rulesOf(on).find(
      (r) => targetsNotify(on, r.Targets) && text(r.EventPattern).includes(OUTBOUND_SOURCE),
    );
    expect(rule?.EventPattern).toEqual({
      source: [OUTBOUND_SOURCE],
      'detail-type': [OutboundDetailTypes.customerCreated, OutboundDetailTypes.creditTransferred],
    });
    expect(text(rule?.EventBusName)).toContain('Bus');
    expect(rule?.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionLogicalId(on, 'notify'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^BuyerEmailDeadLetters/), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      }),
    ]);
  });

  it('takes from the default bus only the SES events sent with its own configuration set', () => {
    const rule = rulesOf(on).find((r) => r.EventBusName === 'default');
    expect(rule?.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': [...SES_DETAIL_TYPES],
      detail: { mail: { tags: { 'ses:configuration-set': ['YayProvisioning-email'] } } },
    });
    expect(targetsNotify(on, rule?.Targets)).toBe(true);
    expect(text(rule?.Targets)).toContain('BuyerEmailDeadLetters');
  });

  it('retries unsent e-mails every 10 minutes through the scheduler, retried, then dead-lettered', () => {
    const [, schedule] = ofType(on, 'AWS::Scheduler::Schedule').find(([, s]) =>
      targetsNotify(on, s.Properties.Target),
    ) as [string, Resource];
    expect(schedule.Properties.ScheduleExpression).toBe('rate(10 minutes)');
    const target = schedule.Properties.Target as {
      Input: string;
      RetryPolicy: { MaximumRetryAttempts: number };
      DeadLetterConfig: { Arn: unknown };
    };
    expect(JSON.parse(target.Input)).toEqual({
      job: 'retry-emails',
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(text(target.DeadLetterConfig.Arn)).toContain('BuyerEmailDeadLetters');
  });

  it('keeps the events notify received and failed on in the same dead-letter queue, and alarms on it', () => {
    const config = ofType(on, 'AWS::Lambda::EventInvokeConfig').find(([, c]) =>
      targetsNotify(on, c.Properties.FunctionName),
    );
    expect(config?.[1].Properties).toMatchObject({ MaximumRetryAttempts: 2 });
    expect(text(config?.[1].Properties.DestinationConfig)).toContain('BuyerEmailDeadLetters');
    const alarm = ofType(on, 'AWS::CloudWatch::Alarm').find(([id]) => id.includes('DeadLettersEmail'));
    expect(text(alarm?.[1].Properties.Dimensions)).toContain('BuyerEmailDeadLetters');
  });

  it('alarms on the first failed e-mail, summed over five minutes, to the alarm topic', () => {
    const [topicId] = only(on, 'AWS::SNS::Topic');
    const alarm = ofType(on, 'AWS::CloudWatch::Alarm').find(([id]) => id.includes('EmailsFailed'));
    expect(alarm?.[1].Properties).toMatchObject({
      MetricName: MetricNames.EmailsFailed,
      Namespace: 'YayProvisioning',
      Dimensions: [{ Name: 'service', Value: 'yay-provisioning' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('draws the e-mails sent and failed on the dashboard', () => {
    const [, dashboard] = only(on, 'AWS::CloudWatch::Dashboard');
    const body = text(dashboard.Properties.DashboardBody);
    expect(body).toContain('Buyer e-mails');
    expect(body).toContain(MetricNames.EmailsSent);
    expect(body).toContain(MetricNames.EmailsFailed);
  });

  it('outputs the sender address and the notify function name for the ops CLI', () => {
    expect(outputsOf(on).EmailSender?.Value).toBe(SENDER_ADDRESS);
    expect(outputsOf(on).NotifyFunctionName?.Value).toEqual({ Ref: functionLogicalId(on, 'notify') });
  });

  it('stays clean under cdk-nag', () => {
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
  });

  it('lets notify load with exactly the environment the template gives it', async () => {
    const variables = Object.fromEntries(
      Object.entries(envOf(on, 'notify')).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : `resolved-at-deploy:${key}`,
      ]),
    );
    const script = `await import(${JSON.stringify(pathToFileURL(handlerEntry('notify')).href)});`;
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-2',
          AWS_ACCESS_KEY_ID: 'test-only-not-a-secret',
          AWS_SECRET_ACCESS_KEY: 'test-only-not-a-secret',
          ...variables,
          NODE_OPTIONS: '',
        },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(stderr.split('\n').find((line) => /ConfigInvalid|Error/.test(line)) ?? '').toBe('');
    expect(code).toBe(0);
  });
});

describe('buyer e-mail with an existing configuration set (provisioning:emailConfigurationSet)', () => {
  const { template } = synthWith({ ...emailOn, [ContextKeys.emailConfigurationSet]: 'resellers-set' });

  it('creates no configuration set, adds its event destination to the named one and sends with it', () => {
    expect(ofType(template, 'AWS::SES::ConfigurationSet')).toEqual([]);
    const [, destination] = only(template, 'AWS::SES::ConfigurationSetEventDestination');
    expect(destination.Properties.ConfigurationSetName).toBe('resellers-set');
    expect(envOf(template, 'notify')[EnvNames.EMAIL_CONFIGURATION_SET]).toBe('resellers-set');
    const rule = rulesOf(template).find((r) => r.EventBusName === 'default');
    expect(text(rule?.EventPattern)).toContain('"ses:configuration-set":["resellers-set"]');
    const send = allStatements(template).find(({ statement }) => statement.Action === 'ses:SendEmail');
    expect(((send?.statement.Resource ?? []) as unknown[]).map(arnText)).toContainEqual(
      expect.stringMatching(/:configuration-set\/resellers-set$/),
    );
  });
});

describe('buyer e-mail templates at synth', () => {
  it('fail the synth naming the file and the variable when one is broken, even with e-mail off', () => {
    const folder = mkdtempSync(join(tmpdir(), 'yay-email-templates-test-'));
    const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-email-bare-test-'));
    try {
      cpSync(new URL('../../infra/email/', import.meta.url), folder, { recursive: true });
      writeFileSync(join(folder, 'welcome.txt'), 'Sign in at {{loginUrl}} as {{loginName}}: {{pasword}}\n');
      const context = cdkJsonContext();
      const config = loadInfraConfig((key) => context[key]);
      const app = new App({ outdir });
      const stateful = new StatefulStack(app, 'Data', { config });
      expect(
        () =>
          new ProvisioningStack(app, 'Provisioning', {
            config,
            bundle: false,
            table: stateful.table,
            bus: stateful.bus,
            yaySecret: stateful.yaySecret,
            webhookSecret: stateful.webhookSecret,
            namingKeySecret: stateful.namingKeySecret,
            passwordKeySecret: stateful.passwordKeySecret,
            emailTemplatesFolder: pathToFileURL(`${folder}/`),
          }),
      ).toThrow(/^email template infra\/email\/welcome\.txt uses \{\{pasword\}\}, which it is not given/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
