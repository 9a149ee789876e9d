import { describe, expect, it } from 'vitest';
import { FUNCTION_METADATA_KEY } from '../../../infra/constructs/provisioning-function';
import type { CfnTemplate } from '../../../local/aws/template/types';
import { evaluate } from '../../../local/iam/policy';
import { readLocalRoles } from '../../../local/iam/roles';

const LOCAL_SECRET = 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:local/yay';
const LOCAL_TABLE = 'arn:aws:dynamodb:eu-west-2:000000000000:table/local-table';
const references = { TABLE_NAME: 'local-table', YAY_SECRET_ARN: LOCAL_SECRET };

/** A stateful template exporting a table and a secret, as CDK's cross-stack references do. */
const stateful: CfnTemplate = {
  Resources: {
    Table1: { Type: 'AWS::DynamoDB::GlobalTable' },
    Secret1: { Type: 'AWS::SecretsManager::Secret' },
  },
  Outputs: {
    TableArn: { Value: { 'Fn::GetAtt': ['Table1', 'Arn'] }, Export: { Name: 'Data:TableArn' } },
    TableName: { Value: { Ref: 'Table1' }, Export: { Name: 'Data:TableName' } },
    Secret: { Value: { Ref: 'Secret1' }, Export: { Name: 'Data:Secret' } },
  },
};

function provisioning(statements: unknown[], role: Record<string, unknown> = {}): CfnTemplate {
  return {
    Resources: {
      Fn1: {
        Type: 'AWS::Lambda::Function',
        Metadata: { [FUNCTION_METADATA_KEY]: 'sweep' },
        Properties: {
          Role: { 'Fn::GetAtt': ['Role1', 'Arn'] },
          Environment: {
            Variables: {
              TABLE_NAME: { 'Fn::ImportValue': 'Data:TableName' },
              YAY_SECRET_ARN: { 'Fn::ImportValue': 'Data:Secret' },
            },
          },
        },
      },
      Role1: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {},
          ManagedPolicyArns: [
            {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
                ],
              ],
            },
          ],
          ...role,
        },
      },
      Policy1: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role1' }],
          PolicyDocument: { Version: '2012-10-17', Statement: statements },
        },
      },
    },
  } as unknown as CfnTemplate;
}

describe('reading the functions’ roles from the template', () => {
  it('resolves imported table and secret references to the resources local mode gives the handlers', () => {
    const roles = readLocalRoles(
      [
        provisioning([
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [{ 'Fn::ImportValue': 'Data:TableArn' }, '/index/OpenOrders']] },
          },
          {
            Effect: 'Allow',
            Action: 'secretsmanager:GetSecretValue',
            Resource: { 'Fn::ImportValue': 'Data:Secret' },
          },
        ]),
        stateful,
      ],
      references,
    );
    const role = roles.get('sweep');

    expect(role?.sessionArn).toBe('arn:aws:sts::000000000000:assumed-role/Role1/sweep');
    const allowed = (action: string, resource: string) =>
      evaluate(role?.statements ?? [], { action, resource }).decision;
    expect(allowed('dynamodb:Query', `${LOCAL_TABLE}/index/OpenOrders`)).toBe('allow');
    expect(allowed('dynamodb:Query', LOCAL_TABLE)).toBe('implicitDeny');
    expect(allowed('secretsmanager:GetSecretValue', LOCAL_SECRET)).toBe('allow');
    // The managed basic execution policy is read too.
    expect(allowed('logs:PutLogEvents', 'arn:aws:logs:eu-west-2:000000000000:log-group:x')).toBe('allow');
  });

  it('maps a secret imported by partial ARN (granted with its -?????? suffix) to the local secret', () => {
    const imported = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:yay';
    const template = provisioning([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `${imported}-??????` },
    ]);
    const fn = template.Resources?.Fn1?.Properties as { Environment: { Variables: Record<string, unknown> } };
    fn.Environment.Variables.YAY_SECRET_ARN = imported;

    const role = readLocalRoles([template, stateful], references).get('sweep');

    expect(
      evaluate(role?.statements ?? [], { action: 'secretsmanager:GetSecretValue', resource: LOCAL_SECRET })
        .decision,
    ).toBe('allow');
  });

  it('fails naming an intrinsic it cannot resolve', () => {
    const template = provisioning([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::If': ['Cond', 'a', 'b'] } },
    ]);

    expect(() => readLocalRoles([template, stateful], references)).toThrow(
      /Policy1: the intrinsic Fn::If is not supported/,
    );
  });

  it('fails naming a managed policy whose statements it does not know', () => {
    const template = provisioning([], { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] });

    expect(() => readLocalRoles([template, stateful], references)).toThrow(
      /managed policy arn:aws:iam::aws:policy\/AdministratorAccess is unknown/,
    );
  });

  it('fails on a permissions boundary, which it does not evaluate', () => {
    const template = provisioning([], { PermissionsBoundary: 'arn:aws:iam::000000000000:policy/b' });

    expect(() => readLocalRoles([template, stateful], references)).toThrow(
      /PermissionsBoundary is not supported/,
    );
  });

  it('fails on a Deny whose resource local mode cannot name, which would otherwise deny nothing', () => {
    const template = provisioning([
      { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['Role1', 'Arn'] } },
    ]);

    expect(() => readLocalRoles([template, stateful], references)).toThrow(/a Deny on .*unresolved\/Role1/);
  });
});
