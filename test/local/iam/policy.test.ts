import { describe, expect, it } from 'vitest';
import {
  type AccessRequest,
  actionMatches,
  arnMatches,
  evaluate,
  PolicyShapeError,
  readPolicyDocument,
} from '../../../local/iam/policy';

const TABLE = 'arn:aws:dynamodb:eu-west-2:000000000000:table/yay-provisioning';
const policy = (...Statement: unknown[]) => readPolicyDocument({ Version: '2012-10-17', Statement }, 'test');
const decide = (statements: ReturnType<typeof policy>, request: AccessRequest) =>
  evaluate(statements, request).decision;

describe('IAM policy evaluation', () => {
  describe('actions', () => {
    it('matches service prefixes and action names case-insensitively', () => {
      expect(actionMatches('dynamodb:GetItem', 'DynamoDB:getitem')).toBe(true);
      expect(actionMatches('dynamodb:GetItem', 'dynamodb:GetItems')).toBe(false);
    });

    it('expands * and ? within an action, and a lone * to every action', () => {
      expect(actionMatches('dynamodb:Get*', 'dynamodb:GetItem')).toBe(true);
      expect(actionMatches('states:SendTask?ailure', 'states:SendTaskFailure')).toBe(true);
      expect(actionMatches('states:SendTask?ailure', 'states:SendTaskSuccess')).toBe(false);
      expect(actionMatches('*', 'ses:SendEmail')).toBe(true);
      expect(actionMatches('dynamodb:*', 'states:StartExecution')).toBe(false);
    });
  });

  describe('resources', () => {
    it('matches an index only when the grant names it (or covers it with a wildcard)', () => {
      expect(arnMatches(TABLE, `${TABLE}/index/OpenOrders`)).toBe(false);
      expect(arnMatches(`${TABLE}/index/*`, `${TABLE}/index/OpenOrders`)).toBe(true);
      expect(arnMatches(`${TABLE}/index/OpenOrders`, `${TABLE}/index/PaymentRefs`)).toBe(false);
    });

    it('lets a wildcard span the resource part but never the region or account', () => {
      const executions = 'arn:aws:states:eu-west-2:000000000000:execution:CustomerProvisioning:*';
      expect(
        arnMatches(executions, 'arn:aws:states:eu-west-2:000000000000:execution:CustomerProvisioning:a:b'),
      ).toBe(true);
      expect(
        arnMatches(
          'arn:aws:states:*:000000000000:stateMachine:X',
          'arn:aws:states:eu-west-2:000000000000:stateMachine:X',
        ),
      ).toBe(true);
      expect(arnMatches('arn:aws:states:eu-*', 'arn:aws:states:eu-west-2:000000000000:stateMachine:X')).toBe(
        false,
      );
      expect(arnMatches('*', 'arn:aws:states:eu-west-2:000000000000:stateMachine:X')).toBe(true);
    });

    it('is case-sensitive in the resource, as ARNs are', () => {
      expect(arnMatches(TABLE, TABLE.toUpperCase())).toBe(false);
    });
  });

  describe('decisions', () => {
    const readTable = { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: TABLE };

    it('allows what a statement grants and implicitly denies everything else', () => {
      const statements = policy(readTable);

      expect(decide(statements, { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
      expect(decide(statements, { action: 'dynamodb:PutItem', resource: TABLE })).toBe('implicitDeny');
      expect(decide(statements, { action: 'dynamodb:Query', resource: `${TABLE}/index/OpenOrders` })).toBe(
        'implicitDeny',
      );
    });

    it('lets an explicit Deny win over any Allow', () => {
      const statements = policy(
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
        { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE },
      );

      expect(decide(statements, { action: 'dynamodb:DeleteItem', resource: TABLE })).toBe('explicitDeny');
      expect(decide(statements, { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
    });

    it('reads NotAction and NotResource as everything but', () => {
      const statements = policy({
        Effect: 'Allow',
        NotAction: 'dynamodb:DeleteItem',
        NotResource: `${TABLE}/index/*`,
      });

      expect(decide(statements, { action: 'dynamodb:GetItem', resource: TABLE })).toBe('allow');
      expect(decide(statements, { action: 'dynamodb:DeleteItem', resource: TABLE })).toBe('implicitDeny');
      expect(decide(statements, { action: 'dynamodb:Query', resource: `${TABLE}/index/X` })).toBe(
        'implicitDeny',
      );
    });
  });

  describe('conditions', () => {
    const IDENTITY = 'arn:aws:ses:eu-west-2:000000000000:identity/noreply@shop.example';
    const send = (context: AccessRequest['context']) => ({
      action: 'ses:SendEmail',
      resource: IDENTITY,
      context,
    });
    const sendAs = (condition: unknown) =>
      policy({ Effect: 'Allow', Action: 'ses:SendEmail', Resource: IDENTITY, Condition: condition });

    it('allows ses:SendEmail only from the address StringEquals names (keys are case-insensitive)', () => {
      const statements = sendAs({ StringEquals: { 'ses:FromAddress': 'noreply@shop.example' } });

      expect(decide(statements, send({ 'ses:fromaddress': 'noreply@shop.example' }))).toBe('allow');
      expect(decide(statements, send({ 'ses:FromAddress': 'owner@shop.example' }))).toBe('implicitDeny');
      expect(decide(statements, send({}))).toBe('implicitDeny');
    });

    it('matches StringLike wildcards and StringNotEquals, which holds when the key is absent', () => {
      expect(
        decide(
          sendAs({ StringLike: { 'ses:FromAddress': '*@shop.example' } }),
          send({ 'ses:FromAddress': 'a@shop.example' }),
        ),
      ).toBe('allow');
      expect(decide(sendAs({ StringNotEquals: { 'ses:FromAddress': 'a@shop.example' } }), send({}))).toBe(
        'allow',
      );
      expect(
        decide(
          sendAs({ StringNotEquals: { 'ses:FromAddress': 'a@shop.example' } }),
          send({ 'ses:FromAddress': 'a@shop.example' }),
        ),
      ).toBe('implicitDeny');
    });

    it('compares ARNs with ArnEquals and ArnLike, and honours IfExists on an absent key', () => {
      const arn = 'arn:aws:events:eu-west-2:000000000000:rule/x';
      expect(
        decide(
          sendAs({ ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:000000000000:rule/*' } }),
          send({ 'aws:SourceArn': arn }),
        ),
      ).toBe('allow');
      expect(
        decide(sendAs({ ArnEquals: { 'aws:SourceArn': arn } }), send({ 'aws:SourceArn': `${arn}y` })),
      ).toBe('implicitDeny');
      expect(decide(sendAs({ ArnEquals: { 'aws:SourceArn': arn } }), send({}))).toBe('implicitDeny');
      expect(decide(sendAs({ ArnEqualsIfExists: { 'aws:SourceArn': arn } }), send({}))).toBe('allow');
    });

    it('requires every operator and every key, any of the values', () => {
      const statements = sendAs({
        StringEquals: {
          'ses:FromAddress': ['a@shop.example', 'b@shop.example'],
          'aws:RequestedRegion': 'eu-west-2',
        },
      });

      expect(
        decide(statements, send({ 'ses:FromAddress': 'b@shop.example', 'aws:RequestedRegion': 'eu-west-2' })),
      ).toBe('allow');
      expect(
        decide(statements, send({ 'ses:FromAddress': 'b@shop.example', 'aws:RequestedRegion': 'us-east-1' })),
      ).toBe('implicitDeny');
    });

    it('reads ForAllValues and ForAnyValue over a multivalued key, and Null', () => {
      const all = sendAs({ 'ForAllValues:StringLike': { 'ses:Recipients': '*@example.com' } });
      const any = sendAs({ 'ForAnyValue:StringEquals': { 'ses:Recipients': 'x@example.com' } });

      expect(decide(all, send({ 'ses:Recipients': ['a@example.com', 'b@example.com'] }))).toBe('allow');
      expect(decide(all, send({ 'ses:Recipients': ['a@example.com', 'b@elsewhere.org'] }))).toBe(
        'implicitDeny',
      );
      expect(decide(any, send({ 'ses:Recipients': ['a@example.com', 'x@example.com'] }))).toBe('allow');
      expect(decide(any, send({}))).toBe('implicitDeny');
      expect(decide(sendAs({ Null: { 'aws:SourceArn': 'true' } }), send({}))).toBe('allow');
    });
  });

  describe('what it refuses to read', () => {
    const refuse = (statement: unknown) => () => policy(statement);

    it('refuses an unknown condition operator, naming it', () => {
      expect(
        refuse({
          Effect: 'Allow',
          Action: 'ses:SendEmail',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:CurrentTime': 'x' } },
        }),
      ).toThrow(/condition operator DateLessThan is not supported/);
    });

    it('refuses a condition key local mode never supplies, naming it', () => {
      expect(
        refuse({
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: TABLE,
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['x'] } },
        }),
      ).toThrow(/condition key dynamodb:LeadingKeys is not supplied by local mode/);
    });

    it('refuses a multivalued key without a set operator', () => {
      expect(
        refuse({
          Effect: 'Allow',
          Action: 'ses:SendEmail',
          Resource: '*',
          Condition: { StringEquals: { 'ses:Recipients': 'x' } },
        }),
      ).toThrow(/ses:Recipients is multivalued/);
    });

    it('refuses Principal, policy variables and another Version', () => {
      expect(refuse({ Effect: 'Allow', Principal: '*', Action: 'a:b', Resource: '*' })).toThrow(
        PolicyShapeError,
      );
      expect(
        refuse({ Effect: 'Allow', Action: 'a:b', Resource: `arn:aws:s3:::${'$'}{aws:username}/*` }),
      ).toThrow(/policy variables/);
      expect(() => readPolicyDocument({ Version: '2008-10-17', Statement: [] }, 'old')).toThrow(
        /Version must be 2012-10-17/,
      );
    });
  });
});
