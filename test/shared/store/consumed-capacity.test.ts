import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  consumedCapacity,
  observeTableCalls,
  resetConsumedCapacity,
  type TableCall,
} from '../../../shared/store/consumed-capacity';
import { documentClient } from '../../../shared/store/table';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';

describe('countConsumedCapacity (through documentClient)', () => {
  let dynamo: LocalDynamo;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    tableName = await dynamo.newTable();
    resetConsumedCapacity();
  });

  it('asks for the units of every call and adds what DynamoDB reports, by operation', async () => {
    const doc = documentClient(dynamo.newClient());
    // 3,000 bytes of value: 3 write units (1 KB each), 1 strongly consistent read unit (4 KB each).
    await doc.send(
      new PutCommand({ TableName: tableName, Item: { pk: 'a', sk: 'b', big: 'x'.repeat(3000) } }),
    );
    await doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'a', sk: 'b' }, ConsistentRead: true }));
    await doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'a', sk: 'b' } }));

    const counted = consumedCapacity();
    expect(counted.writeUnits).toBe(3);
    expect(counted.readUnits).toBe(1.5);
    expect(counted.byOperation.get('GetItem')).toEqual({ calls: 2, units: 1.5, unreported: 0 });
  });

  it('counts a failed conditional write as a call DynamoDB reported no units for, and rethrows it', async () => {
    const doc = documentClient(dynamo.newClient());
    const calls: TableCall[] = [];
    const stop = observeTableCalls((call) => calls.push(call));
    const put = () =>
      doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: 'a', sk: 'b' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    await expect(put()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    stop();

    expect(consumedCapacity().byOperation.get('PutItem')).toEqual({ calls: 2, units: 1, unreported: 1 });
    expect(calls.map((call) => [call.operation, call.kind, call.units])).toEqual([
      ['PutItem', 'write', 1],
      ['PutItem', 'write', undefined],
    ]);
    // The observer sees the document client's shapes, not DynamoDB's marshalled ones.
    expect(calls[0]?.input.Item).toEqual({ pk: 'a', sk: 'b' });
  });

  it('keeps a caller’s own ReturnConsumedCapacity and adds the middleware once per client', async () => {
    const client = dynamo.newClient();
    const doc = documentClient(client);
    documentClient(client);
    await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'nobody' },
        ReturnConsumedCapacity: 'NONE',
      }),
    );
    expect(consumedCapacity().byOperation.get('Query')).toEqual({ calls: 1, units: 0, unreported: 1 });
  });
});
