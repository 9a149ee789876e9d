import { beforeAll, describe, expect, it } from 'vitest';
import { loadEmailTemplates } from '../../../../infra/email-templates';
import { assertSupportedPattern, matchesPattern } from '../../../../local/aws/event-bus/pattern';
import { extractLocalTemplate } from '../../../../local/aws/template/extract';
import { synthesizeLocalTemplate } from '../../../../local/aws/template/synthesize';
import type { CfnTemplate, LocalRule, LocalTemplate } from '../../../../local/aws/template/types';
import { LOCAL_EMAIL_CONTEXT } from '../../../../local/config';
import { EnvNames } from '../../../../shared/config';
import { OUTBOUND_SOURCE } from '../../../../shared/domain/outbound-events';

const OUTBOUND_LOG = { kind: 'logGroup', logGroupName: '/aws/events/YayProvisioning/outbound-events' };
const logRule = (template: LocalTemplate): LocalRule | undefined =>
  template.rules.find((rule) => rule.logGroupTargets?.length);

/** An SES event on the default bus, as the configuration set's EventBridge destination publishes it. */
function sesEvent(tags: Record<string, string[]> | undefined, detailType = 'Email Sent') {
  return {
    version: '0',
    id: 'f0000000-0000-4000-8000-000000000001',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-2',
    resources: [],
    detail: {
      eventType: 'Send',
      mail: { messageId: 'm-1', ...(tags ? { tags } : {}) },
      send: {},
    },
  };
}

describe('synthesizeLocalTemplate with e-mail off (cdk.json)', () => {
  let template: LocalTemplate;
  beforeAll(async () => {
    template = await synthesizeLocalTemplate();
  });

  it('keeps the outbound events log as a log-group target of its own, beside the function targets', () => {
    expect(logRule(template)).toMatchObject({
      bus: 'provisioning',
      pattern: { source: [OUTBOUND_SOURCE] },
      targets: [],
      logGroupTargets: [OUTBOUND_LOG],
    });
    for (const rule of template.rules.filter((r) => r !== logRule(template))) {
      expect(rule.logGroupTargets, rule.id).toBeUndefined();
    }
  });

  it('has no e-mail templates and no configuration set', () => {
    expect(template.emailTemplates.size).toBe(0);
    expect(template.emailConfigurationSet).toBeUndefined();
  });
});

describe('synthesizeLocalTemplate with the local e-mail context', () => {
  let template: LocalTemplate;
  beforeAll(async () => {
    template = await synthesizeLocalTemplate({ ...LOCAL_EMAIL_CONTEXT });
  });
  const notifyEnv = () => template.functions.get('notify')?.environment ?? {};

  it('uses placeholders in reserved names only', () => {
    expect(Object.values(LOCAL_EMAIL_CONTEXT).join(' ')).toMatch(
      /\.localhost>.*https:\/\/[a-z.]+\.example\//,
    );
  });

  it('gives the SES templates by the names notify is given, with the parts of infra/email', () => {
    const names = JSON.parse(notifyEnv()[EnvNames.EMAIL_TEMPLATES] ?? '{}') as Record<string, string>;
    const files = loadEmailTemplates();
    expect([...template.emailTemplates.keys()].sort()).toEqual(Object.values(names).sort());
    expect(template.emailTemplates.get(names.welcome ?? '')).toEqual(files.welcome);
    expect(template.emailTemplates.get(names.receipt ?? '')).toEqual(files.receipt);
  });

  it('gives the configuration set notify sends with, and notify the e-mail variables as plain strings', () => {
    expect(template.emailConfigurationSet).toBe('YayProvisioning-email');
    expect(notifyEnv()).toMatchObject({
      [EnvNames.EMAIL_SENDER]: LOCAL_EMAIL_CONTEXT['provisioning:emailSender'],
      [EnvNames.EMAIL_CONFIGURATION_SET]: 'YayProvisioning-email',
      [EnvNames.STORE_LOGIN_URL]: LOCAL_EMAIL_CONTEXT['yay:storeLoginUrl'],
      [EnvNames.STORE_LOGIN_URLS]: '{}',
    });
  });

  it('routes outcomes and SES events to notify, keeps the log target, and schedules the retry', () => {
    expect(logRule(template)?.logGroupTargets).toEqual([OUTBOUND_LOG]);
    const notifyRules = template.rules.filter((rule) =>
      rule.targets.some((t) => t.functionName === 'notify'),
    );
    expect(notifyRules.map((rule) => rule.bus).sort()).toEqual(['default', 'provisioning']);
    expect(template.schedules.find((s) => s.functionName === 'notify')).toMatchObject({
      expression: 'rate(10 minutes)',
      input: { job: 'retry-emails' },
    });
  });

  it("matches the SES rule to events sent with its configuration set only, the tag being SES's array", () => {
    const rule = template.rules.find((r) => r.bus === 'default');
    if (!rule) throw new Error('no rule on the default bus');
    expect(() => assertSupportedPattern(rule.pattern)).not.toThrow();
    const ours = template.emailConfigurationSet ?? '';
    expect(matchesPattern(rule.pattern, sesEvent({ 'ses:configuration-set': [ours] }))).toBe(true);
    expect(
      matchesPattern(rule.pattern, sesEvent({ 'ses:configuration-set': [ours] }, 'Email Rendering Failed')),
    ).toBe(true);
    // Any element of the event's array matches, as EventBridge does.
    expect(matchesPattern(rule.pattern, sesEvent({ 'ses:configuration-set': ['other', ours] }))).toBe(true);
    expect(matchesPattern(rule.pattern, sesEvent({ 'ses:configuration-set': ['another-apps-set'] }))).toBe(
      false,
    );
    expect(matchesPattern(rule.pattern, sesEvent({ kind: ['welcome'] }))).toBe(false);
    expect(matchesPattern(rule.pattern, sesEvent(undefined))).toBe(false);
    expect(matchesPattern(rule.pattern, sesEvent({ 'ses:configuration-set': [ours] }, 'Email Bounced'))).toBe(
      false,
    );
  });
});

describe('extractLocalTemplate', () => {
  const machine = {
    Type: 'AWS::StepFunctions::StateMachine',
    Properties: { DefinitionString: '{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}' },
  };
  const ruleWith = (target: Record<string, unknown>): CfnTemplate => ({
    Resources: {
      Machine: machine,
      Log: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/events/x' } },
      Rule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: { source: ['x'] },
          Targets: [target as never],
        },
      },
    },
  });
  const logArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':logs:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':log-group:',
        { Ref: 'Log' },
      ],
    ],
  };

  it('reads a rule target that is a log group, by the name the template gives it, apart from the function targets', () => {
    const [rule] = extractLocalTemplate(ruleWith({ Arn: logArn, Id: 'Target0' })).rules;
    expect(rule).toMatchObject({
      id: 'Rule',
      bus: 'default',
      targets: [],
      logGroupTargets: [{ kind: 'logGroup', logGroupName: '/aws/events/x' }],
    });
  });

  it('refuses a log-group target that reshapes the event, which local mode would not reproduce', () => {
    expect(() => extractLocalTemplate(ruleWith({ Arn: logArn, InputPath: '$.detail' }))).toThrow(
      /rule Rule: a log group target takes the whole event/,
    );
  });

  it('names an imported configuration set from its event destination', () => {
    const template: CfnTemplate = {
      Resources: {
        Machine: machine,
        Destination: {
          Type: 'AWS::SES::ConfigurationSetEventDestination',
          Properties: { ConfigurationSetName: 'resellers-set' },
        },
      },
    };
    expect(extractLocalTemplate(template).emailConfigurationSet).toBe('resellers-set');
  });
});
