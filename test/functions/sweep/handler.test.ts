import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startYaySandbox, type YaySandbox } from '../../../local/yay-sandbox/server';
import { executionName } from '../../../shared/domain/keys';
import { createDynamoStore, type DynamoStore } from '../../../shared/store/dynamo-store';
import type { SweepReport } from '../../../shared/workflow/sweep';
import { FAKE_CREDENTIALS, type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { orderEvent } from '../../shared/workflow/fixtures';

const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning';
const YAY_SECRET = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:yay-test';
/** What EventBridge Scheduler sends the sweep (the template's schedule input). */
const SCHEDULED = { job: 'sweep', scheduledTime: '2026-11-27T06:15:00Z' };

type Handler = (event: unknown, context: Context) => Promise<SweepReport>;

const context = {
  functionName: 'sweep',
  awsRequestId: 'req-sweep',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

/** A fresh import of the handler: it reads its configuration once, at cold start. */
async function coldStart(minAge?: string): Promise<Handler> {
  vi.resetModules();
  if (minAge === undefined) vi.stubEnv('SWEEP_MIN_AGE_SECONDS', undefined);
  else vi.stubEnv('SWEEP_MIN_AGE_SECONDS', minAge);
  return ((await import('../../../functions/sweep/handler')) as { handler: Handler }).handler;
}

// Not the workflow harness (test/shared/workflow/harness.ts): a handler builds its deps from the environment at cold
// start, so these tests stub the environment and the SDK clients' answers, not the deps a use case is given.
describe('sweep handler', () => {
  const sfn = mockClient(SFNClient);
  const secrets = mockClient(SecretsManagerClient);
  let dynamo: LocalDynamo;
  let sandbox: YaySandbox;
  let store: DynamoStore;
  let orderKey: string;

  beforeAll(async () => {
    dynamo = await startDynalite();
    sandbox = await startYaySandbox();
    secrets
      .on(GetSecretValueCommand, { SecretId: YAY_SECRET })
      .resolves({ SecretString: JSON.stringify(sandbox.credentials) });
  });
  afterAll(async () => {
    sfn.restore();
    secrets.restore();
    await sandbox.stop();
    await dynamo.stop();
  });
  beforeEach(async () => {
    const tableName = await dynamo.newTable();
    store = createDynamoStore({ tableName, client: dynamo.client });
    for (const [name, value] of Object.entries({
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
      STATE_MACHINE_ARN: STATE_MACHINE,
      EVENT_BUS_NAME: 'test-bus',
      YAY_SECRET_ARN: YAY_SECRET,
      YAY_API_BASE_URL: sandbox.url,
      PAYMENT_WINDOW_SECONDS: '604800',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    })) {
      vi.stubEnv(name, value);
    }
    sfn.reset();
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));
    // An order dispatch recorded a moment ago whose execution never started.
    const event = orderEvent({ orderId: `cs_test_${Math.random().toString(36).slice(2)}` });
    orderKey = event.orderKey;
    await store.record(event, executionName(orderKey), new Date());
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('leaves an order touched in the last 300 s alone when SWEEP_MIN_AGE_SECONDS is unset', async () => {
    const handler = await coldStart();

    const report = await handler(SCHEDULED, context);

    expect(report).toMatchObject({ open: 1, restarted: [] });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('restarts that order in a run whose input says minAgeSeconds 0, and only in that run', async () => {
    const handler = await coldStart();

    const overridden = await handler({ ...SCHEDULED, minAgeSeconds: 0 }, context);
    await store.record(
      orderEvent({ orderId: 'cs_test_next', orderKey: 'stripe:acct_test:cs_test_next' }),
      executionName('stripe:acct_test:cs_test_next'),
      new Date(),
    );
    const next = await handler(SCHEDULED, context);

    expect(overridden.restarted).toEqual([orderKey]);
    expect(next.restarted).toEqual([]);
  });

  it('sweeps every open order when SWEEP_MIN_AGE_SECONDS is 0', async () => {
    const handler = await coldStart('0');

    const report = await handler(SCHEDULED, context);

    expect(report.restarted).toEqual([orderKey]);
  });

  it('fails at cold start naming SWEEP_MIN_AGE_SECONDS when it is not a non-negative integer', async () => {
    await expect(coldStart('-1')).rejects.toThrow(/SWEEP_MIN_AGE_SECONDS must be a non-negative integer/);
    await expect(coldStart('five minutes')).rejects.toThrow(/SWEEP_MIN_AGE_SECONDS/);
  });

  it('rejects a malformed minAgeSeconds with OrderInvalid naming the field, and sweeps nothing', async () => {
    const handler = await coldStart();

    const run = handler({ minAgeSeconds: -5 }, context);

    await expect(run).rejects.toMatchObject({
      name: 'OrderInvalid',
      message: expect.stringContaining('minAgeSeconds'),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
