import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_STORE_FRONT, startYaySandbox, type YaySandbox } from '../../local/yay-sandbox/server';
import { DetailTypes, EVENT_SOURCE } from '../../shared/domain/order-event';
import { createDynamoStore, type DynamoStore } from '../../shared/store/dynamo-store';
import type {
  CustomerRef,
  ExecutionInput,
  PaymentState,
  TransferResult,
} from '../../shared/workflow/contract';
import { FAKE_CREDENTIALS, type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { orderEvent } from '../shared/workflow/fixtures';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning';
const YAY_SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:yay-test';
const NAMING_SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:naming-test';
const NAMING_KEY = 'test-only-naming-key-not-a-secret';
const PASSWORD_SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:password-test';
const PASSWORD_KEY = 'test-only-password-key-not-a-secret-0000';
const TOKEN = 'test-only-task-token-not-a-secret';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-2:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `req-${functionName}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Calls a handler module's export the way Lambda does, capturing the JSON lines it writes to stdout. */
async function invoke(
  name: string,
  event: unknown,
): Promise<{ result: unknown; lines: Record<string, unknown>[] }> {
  const module = (await import(`../../functions/${name}/handler`)) as { handler: Handler };
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const result = await module.handler(event, lambdaContext(name));
    return { result, lines: parseLines(written) };
  } finally {
    spy.mockRestore();
  }
}

function parseLines(written: string[]): Record<string, unknown>[] {
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// Not the workflow harness (test/shared/workflow/harness.ts): a handler builds its deps from the environment at cold
// start, so these tests stub the environment and the SDK clients' answers, not the deps a use case is given.
describe('workflow handlers', () => {
  const sfn = mockClient(SFNClient);
  const secrets = mockClient(SecretsManagerClient);
  const bus = mockClient(EventBridgeClient);
  const published: Array<{ DetailType?: string; Detail?: string }> = [];
  let dynamo: LocalDynamo;
  let sandbox: YaySandbox;
  let store: DynamoStore;
  const started: { name: string; input: ExecutionInput }[] = [];

  beforeAll(async () => {
    dynamo = await startDynalite();
    sandbox = await startYaySandbox();
    const tableName = await dynamo.newTable();
    store = createDynamoStore({ tableName, client: dynamo.client });
    vi.stubEnv('TABLE_NAME', tableName);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', FAKE_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', FAKE_CREDENTIALS.secretAccessKey);
    vi.stubEnv('STATE_MACHINE_ARN', STATE_MACHINE);
    vi.stubEnv('YAY_SECRET_ARN', YAY_SECRET);
    vi.stubEnv('NAMING_KEY_SECRET_ARN', NAMING_SECRET);
    vi.stubEnv('PASSWORD_KEY_SECRET_ARN', PASSWORD_SECRET);
    vi.stubEnv('EVENT_BUS_NAME', 'test-bus');
    vi.stubEnv('YAY_API_BASE_URL', sandbox.url);
    vi.stubEnv('YAY_STORE_FRONT', DEFAULT_STORE_FRONT.uuid);
    vi.stubEnv('YAY_STORE_FRONTS', '{}');
    vi.stubEnv('PAYMENT_WINDOW_SECONDS', '604800');
    vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');

    secrets
      .on(GetSecretValueCommand, { SecretId: YAY_SECRET })
      .resolves({ SecretString: JSON.stringify(sandbox.credentials) });
    secrets
      .on(GetSecretValueCommand, { SecretId: NAMING_SECRET })
      .resolves({ SecretString: JSON.stringify({ key: NAMING_KEY }) });
    secrets
      .on(GetSecretValueCommand, { SecretId: PASSWORD_SECRET })
      .resolves({ SecretString: JSON.stringify({ key: PASSWORD_KEY }) });
    bus
      .on(PutEventsCommand)
      .callsFake((input: { Entries: Array<{ DetailType?: string; Detail?: string }> }) => {
        published.push(...input.Entries);
        return { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `evt-${i}` })) };
      });
    sfn.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
      started.push({ name: input.name, input: JSON.parse(input.input) as ExecutionInput });
      return {
        executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`,
        startDate: new Date(),
      };
    });
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    sfn.restore();
    secrets.restore();
    bus.restore();
    await sandbox.stop();
    await dynamo.stop();
  });

  it('runs a placed order through every step handler, with the order key and execution on every log line', async () => {
    const order = orderEvent();
    const busEvent = {
      version: '0',
      id: 'evt-1',
      'detail-type': DetailTypes.placed,
      source: EVENT_SOURCE,
      account: '123456789012',
      time: order.occurredAt,
      region: 'eu-west-2',
      resources: [],
      detail: order,
    };
    const dispatched = await invoke('dispatch', busEvent);
    expect(dispatched.result).toMatchObject({ action: 'started' });
    expect(started).toHaveLength(1);
    const input = started[0]?.input as ExecutionInput;

    const created = await invoke('create-customer', input);
    const customer = created.result as CustomerRef;
    expect(customer.created).toBe(true);
    expect(sandbox.state.customers).toHaveLength(1);
    const infoLines = created.lines.filter((line) => line.level === 'INFO');
    expect(infoLines.length).toBeGreaterThan(0);
    for (const line of infoLines) {
      expect(line).toMatchObject({
        orderKey: order.orderKey,
        execution: input.executionArn,
        function_name: 'create-customer',
      });
    }
    expect(JSON.stringify(created.lines)).not.toContain(NAMING_KEY);
    expect(JSON.stringify(created.lines)).not.toContain(sandbox.credentials.password);

    const payment = await invoke('record-customer', { ...input, customer });
    expect(payment.result as PaymentState).toEqual({ paid: false });

    const waiting = await invoke('await-payment', { orderKey: order.orderKey, taskToken: TOKEN });
    expect(waiting.result).toEqual({ action: 'waiting' });
    expect(JSON.stringify(waiting.lines)).not.toContain(TOKEN);

    const confirmed = await invoke('dispatch', {
      ...busEvent,
      detail: { ...order, kind: 'payment_confirmed' },
    });
    expect(confirmed.result).toEqual({ action: 'resumed' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.taskToken).toBe(TOKEN);

    const transfer = await invoke('transfer-credit', { ...input, customer, payment: { paid: true } });
    // The new customer's balance was read just before the call: 0, so 10.000 after it.
    expect(transfer.result as TransferResult).toEqual({
      status: 'APPLIED',
      amount: 10_000,
      balanceAfter: 10_000,
      factCount: 1,
    });
    expect(sandbox.state.transfers).toHaveLength(1);
    const emf = transfer.lines.find((line) => '_aws' in line && 'CreditMovedMillis' in line);
    expect(emf).toMatchObject({ CreditMovedMillis: 10_000 });

    const reconciled = await invoke('reconcile-transfer', { ...input, customer });
    expect(reconciled.result).toMatchObject({ decision: 'applied' });

    const outcome = await invoke('record-outcome', {
      ...input,
      customer,
      transfer: transfer.result,
      outcome: 'fulfilled',
    });
    expect(outcome.result).toEqual({ orderKey: order.orderKey, outcome: 'fulfilled', applied: true });
    expect(await store.get(order.orderKey)).toMatchObject({
      state: 'fulfilled',
      customerUuid: customer.uuid,
    });
    expect(published.map((entry) => entry.DetailType)).toEqual([
      'Customer Created',
      'Credit Transferred',
      'Order Fulfilled',
    ]);
    expect(JSON.parse(published[1]?.Detail ?? '{}')).toMatchObject({
      orderKey: order.orderKey,
      customerUuid: customer.uuid,
      amount: '10.000',
      balanceAfter: '10.000',
      firstOrder: true,
    });
    expect(JSON.stringify(published)).not.toContain(PASSWORD_KEY);

    const swept = await invoke('sweep', { source: 'scheduler' });
    expect(swept.result).toMatchObject({ open: 0, creditOwed: 0 });
    const daily = await invoke('daily-reconciliation', {});
    expect(daily.result).toMatchObject({ recorded: 1, drift: 0 });
  });

  it('rejects a malformed execution input with OrderInvalid naming the field and writes nothing', async () => {
    const { credit: _omitted, ...order } = orderEvent({ orderId: 'bad-input' });
    const module = (await import('../../functions/record-outcome/handler')) as { handler: Handler };
    const call = module.handler({ order, outcome: 'failed' }, lambdaContext('record-outcome'));
    await expect(call).rejects.toMatchObject({
      name: 'OrderInvalid',
      message: expect.stringContaining('order.credit'),
    });
    expect(await store.get('stripe:acct_test:bad-input')).toBeUndefined();
  });

  it('rejects a bus event whose detail lacks the order key, naming it, and starts nothing', async () => {
    const { orderKey: _omitted, ...detail } = orderEvent({ orderId: 'no-key' });
    const module = (await import('../../functions/dispatch/handler')) as { handler: Handler };
    const before = started.length;
    const ordersBefore = (await store.listOrders()).length;
    await expect(module.handler({ detail }, lambdaContext('dispatch'))).rejects.toMatchObject({
      name: 'OrderInvalid',
      message: expect.stringContaining('orderKey'),
    });
    expect(started.length).toBe(before);
    expect(await store.listOrders()).toHaveLength(ordersBefore);
  });

  it('records a refund that carries only the order id (Shopify refunds/create), without needing the buyer', async () => {
    const order = orderEvent({ orderId: 'refund-only', orderKey: 'stripe:acct_test:refund-only' });
    const module = (await import('../../functions/dispatch/handler')) as { handler: Handler };
    await module.handler({ detail: order }, lambdaContext('dispatch'));
    const { buyer: _buyer, buyerKey: _buyerKey, ...refund } = { ...order, kind: 'refunded' as const };
    const before = started.length;

    const result = await module.handler({ detail: refund }, lambdaContext('dispatch'));

    // Recorded, and noted on the transfer intent (PENDING: nothing planned yet) so no plan made before it can start.
    expect(result).toEqual({ action: 'refund_recorded', detail: 'PENDING' });
    expect(started.length).toBe(before);
    expect(await store.get(order.orderKey)).toMatchObject({ refunded: true, factCount: 1 });
    expect(await store.getIntent(order.orderKey)).toMatchObject({ status: 'PENDING', moneyVersion: 1 });
  });

  it('fails at import, naming the variable, when the configuration is incomplete', async () => {
    vi.resetModules();
    vi.stubEnv('TABLE_NAME', '');
    await expect(import('../../functions/record-customer/handler')).rejects.toThrow(/TABLE_NAME/);
    vi.stubEnv('TABLE_NAME', 'configured');
    vi.stubEnv('PAYMENT_WINDOW_SECONDS', 'a week');
    await expect(import('../../functions/sweep/handler')).rejects.toThrow(/PAYMENT_WINDOW_SECONDS/);
  });
});
