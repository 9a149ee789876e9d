import { describe, expect, it } from 'vitest';
import { dynamoDbAccessRequests } from '../../../../local/aws/dynamodb/proxy';

const TABLE = 'arn:aws:dynamodb:eu-west-2:000000000000:table/t';

describe('what each DynamoDB call is authorized on', () => {
  it('names the table, or the index of a Query or Scan, for DynamoDB', () => {
    expect(dynamoDbAccessRequests('GetItem', { TableName: 't' })).toEqual([
      { action: 'dynamodb:GetItem', resource: TABLE },
    ]);
    expect(dynamoDbAccessRequests('Query', { TableName: 't', IndexName: 'OpenOrders' })).toEqual([
      { action: 'dynamodb:Query', resource: `${TABLE}/index/OpenOrders` },
    ]);
  });

  it('names every table of a batch, and each item of a transaction by its own action', () => {
    expect(dynamoDbAccessRequests('BatchGetItem', { RequestItems: { t: {}, u: {} } })).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: TABLE },
      { action: 'dynamodb:BatchGetItem', resource: 'arn:aws:dynamodb:eu-west-2:000000000000:table/u' },
    ]);
    expect(
      dynamoDbAccessRequests('TransactWriteItems', {
        TransactItems: [{ Put: { TableName: 't' } }, { ConditionCheck: { TableName: 't' } }],
      }),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE },
      { action: 'dynamodb:ConditionCheckItem', resource: TABLE },
    ]);
  });
});
