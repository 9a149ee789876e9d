import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { dynamoDbAccessRequests } from '../../../local/aws/dynamodb/proxy';
import { sendEmailAccessRequests } from '../../../local/aws/ses';
import { callerOf, LOCAL_CALLER_HEADER, runAsFunction } from '../../../local/iam/caller';

const TABLE = 'arn:aws:dynamodb:eu-west-2:000000000000:table/t';

describe('what each call is authorized on', () => {
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

  it('asks SES for both identities of the sender, the configuration set and the template, with ses:FromAddress', () => {
    const requests = sendEmailAccessRequests({
      FromEmailAddress: 'Shop <noreply@shop.example>',
      Destination: { ToAddresses: ['buyer@example.com'] },
      ConfigurationSetName: 'set',
      Content: { Template: { TemplateName: 'welcome' } },
    });

    expect(requests.map((r) => r.resource)).toEqual([
      'arn:aws:ses:eu-west-2:000000000000:identity/noreply@shop.example',
      'arn:aws:ses:eu-west-2:000000000000:identity/shop.example',
      'arn:aws:ses:eu-west-2:000000000000:configuration-set/set',
      'arn:aws:ses:eu-west-2:000000000000:template/welcome',
    ]);
    expect(requests[0]?.context).toEqual({
      'ses:FromAddress': 'noreply@shop.example',
      'ses:FromDisplayName': 'Shop',
      'ses:Recipients': ['buyer@example.com'],
      'ses:ApiVersion': '2',
    });
  });
});

describe('who makes a call', () => {
  it('stamps a loopback request made inside a function with its name, and strips one made outside', async () => {
    const seen: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      seen.push(callerOf(req));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const call = (headers: Record<string, string> = {}) =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, headers }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      await runAsFunction('dispatch', async () => {
        await call();
        // A handler cannot call as another function: its own name overwrites what it set.
        await call({ [LOCAL_CALLER_HEADER]: 'sweep' });
      });
      // Nor can anything outside a function borrow one.
      await call({ [LOCAL_CALLER_HEADER]: 'sweep' });
    } finally {
      server.close();
    }

    expect(seen).toEqual(['dispatch', 'dispatch', undefined]);
  });
});
