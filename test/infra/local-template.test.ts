import { describe, expect, it } from 'vitest';
import { type CfnTemplate, extractLocalTemplate } from '../../infra/local/template';

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
});
