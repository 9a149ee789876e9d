import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FunctionNames, StateNames } from '../../infra/names';
import { LocalEventBus } from '../../local/aws/event-bus/bus';
import { matchesPattern } from '../../local/aws/event-bus/pattern';
import { LocalSecrets } from '../../local/aws/secrets';
import { LocalStepFunctions } from '../../local/aws/step-functions/engine';
import { synthesizeLocalTemplate } from '../../local/aws/template/synthesize';
import { type LocalTemplate, localFunctionArn } from '../../local/aws/template/types';
import { type LoopbackServer, listenLoopback } from '../../local/listen';
import { eventually } from './support';

const FAKE = {
  region: 'eu-west-2',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local-test-only-not-a-secret' },
};

/** A small graph with the shapes the real one uses: a Lambda task, a callback task with a timeout, a capped Wait. */
const DEFINITION: StateMachineDefinition = {
  StartAt: 'Say hello',
  States: {
    'Say hello': { Type: 'Task', Resource: localFunctionArn('hello'), ResultPath: '$.hello', Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 3600, Next: 'Wait for payment' },
    'Wait for payment': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: localFunctionArn('await'),
        Payload: { 'orderKey.$': '$.order.orderKey', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSeconds: 604800,
      ResultPath: '$.payment',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expired' }],
      End: true,
    },
    Expired: { Type: 'Pass', End: true },
  },
};

describe('local AWS stand-ins', () => {
  let dataDir: string;
  let engine: LocalStepFunctions;
  let server: LoopbackServer;
  let sfn: SFNClient;
  const tokens = new Map<string, string>();

  const invoke = async (name: string, payload: unknown) => {
    if (name === 'hello') return { greeting: 'hello' };
    const { orderKey, taskToken } = payload as { orderKey: string; taskToken: string };
    tokens.set(orderKey, taskToken);
    return null;
  };
  const start = (name: string, orderKey: string) =>
    sfn.send(
      new StartExecutionCommand({
        stateMachineArn: engine.stateMachineArn,
        name,
        input: JSON.stringify({ order: { orderKey } }),
      }),
    );
  const describeStatus = async (executionArn: string) =>
    (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'yay-e2e-sfn-'));
    engine = new LocalStepFunctions({
      stateMachineName: 'Test',
      definition: DEFINITION,
      invoke,
      dataDir,
      maxWaitSeconds: 0.3,
    });
    server = await listenLoopback(engine.serviceHandler());
    sfn = new SFNClient({ ...FAKE, endpoint: server.url });
  });

  afterEach(async () => {
    await engine.idle(10_000);
  });

  afterAll(async () => {
    sfn?.destroy();
    await server?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes a callback task with the output sent on its token, after a capped Wait', async () => {
    const started = await start('resume-1', 'order-resume');
    const token = await eventually('the task token', () => tokens.get('order-resume'));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ paid: true }) }));
    await engine.idle(5_000);

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({
      hello: { greeting: 'hello' },
      payment: { paid: true },
    });
  });

  it('rejects idle after its timeout naming how many executions still run', async () => {
    await start('idle-1', 'order-idle');
    await eventually('the task token', () => tokens.get('order-idle'));

    await expect(engine.idle(20)).rejects.toThrow('1 execution(s) still running after 20 ms');
  });

  it('returns the same execution for the same name and input, and ExecutionAlreadyExists otherwise', async () => {
    const first = await start('dupe-1', 'order-dupe');
    const again = await start('dupe-1', 'order-dupe');
    const other = start('dupe-1', 'order-other-input');

    expect(again.executionArn).toBe(first.executionArn);
    await expect(other).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const token = await eventually('the task token', () => tokens.get('order-dupe'));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await engine.idle(5_000);
    await expect(start('dupe-1', 'order-dupe')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('raises States.Timeout at the capped callback timeout and refuses the late token with TaskTimedOut', async () => {
    const started = await start('timeout-1', 'order-timeout');
    const token = await eventually('the task token', () => tokens.get('order-timeout'));
    await engine.idle(5_000);

    const late = sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await expect(late).rejects.toMatchObject({ name: 'TaskTimedOut' });
    const forged = sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }));
    await expect(forged).rejects.toMatchObject({ name: 'InvalidToken' });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));

    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}').error).toMatchObject({ Error: 'States.Timeout' });
  });

  it('reports executions of a previous process as ABORTED and unknown ones as ExecutionDoesNotExist', async () => {
    const started = await start('crash-1', 'order-crash');
    await eventually('the task token', () => tokens.get('order-crash'));
    // A second engine on the same data dir is what a restart after a kill sees.
    const restarted = new LocalStepFunctions({
      stateMachineName: 'Test',
      definition: DEFINITION,
      invoke,
      dataDir,
      maxWaitSeconds: 0.3,
    });
    const next = await listenLoopback(restarted.serviceHandler());
    const client = new SFNClient({ ...FAKE, endpoint: next.url });
    try {
      const status = (await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn })))
        .status;
      const missing = client.send(
        new DescribeExecutionCommand({ executionArn: `${started.executionArn}-nope` }),
      );

      expect(status).toBe('ABORTED');
      await expect(missing).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
      expect(['RUNNING', 'SUCCEEDED']).toContain(String(await describeStatus(started.executionArn ?? '')));
    } finally {
      client.destroy();
      await next.close();
    }
  });
});

describe('local Step Functions redrive', () => {
  /** A Pass then a Task with no Catch: a failure of the task fails the execution in that state. */
  const CHARGE: StateMachineDefinition = {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Result: { ready: true }, ResultPath: '$.prepared', Next: 'Charge' },
      Charge: { Type: 'Task', Resource: localFunctionArn('charge'), ResultPath: '$.charged', End: true },
    },
  };
  let dataDir: string;
  let running: LocalStepFunctions | undefined;
  let server: LoopbackServer | undefined;
  let sfn: SFNClient | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'yay-e2e-redrive-'));
  });
  afterEach(async () => {
    sfn?.destroy();
    await server?.close();
    await running?.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const engineOn = async (invoke: (name: string, payload: unknown) => Promise<unknown>) => {
    const engine = new LocalStepFunctions({
      stateMachineName: 'Charges',
      definition: CHARGE,
      invoke,
      dataDir,
      maxWaitSeconds: 0.1,
    });
    running = engine;
    server = await listenLoopback(engine.serviceHandler());
    sfn = new SFNClient({ ...FAKE, endpoint: server.url });
    return { engine, sfn };
  };
  const closedOnce = (engine: LocalStepFunctions) =>
    new Promise<void>((resolve) => engine.events.once('closed', () => resolve()));

  it('runs a failed task again with the input it had, and not the states before it', async () => {
    const inputs: unknown[] = [];
    const { engine, sfn } = await engineOn(async (_name, payload) => {
      inputs.push(payload);
      if (inputs.length === 1) throw Object.assign(new Error('card declined'), { name: 'Declined' });
      return { id: 'ch_1' };
    });
    const failedOnce = closedOnce(engine);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: engine.stateMachineArn,
        name: 'charge-1',
        input: '{"n":1}',
      }),
    );
    await failedOnce;
    const failed = await sfn.send(new DescribeExecutionCommand({ executionArn }));

    const succeeded = closedOnce(engine);
    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    await succeeded;
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const history = engine.history(executionArn ?? '');

    expect(failed).toMatchObject({ status: 'FAILED', error: 'Declined', redriveStatus: 'REDRIVABLE' });
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(JSON.parse(done.output ?? '{}')).toEqual({
      n: 1,
      prepared: { ready: true },
      charged: { id: 'ch_1' },
    });
    expect(inputs).toEqual([
      { n: 1, prepared: { ready: true } },
      { n: 1, prepared: { ready: true } },
    ]);
    expect(history.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'ExecutionFailed',
      'ExecutionRedriven',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[6]?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'Declined',
      cause: JSON.stringify({ errorType: 'Declined', errorMessage: 'card declined' }),
    });
  });

  it('refuses to redrive an execution an earlier local mode recorded without its steps’ inputs', async () => {
    const arn = 'arn:aws:states:eu-west-2:000000000000:execution:Charges:old-1';
    const old = {
      executionArn: arn,
      name: 'old-1',
      input: '{}',
      status: 'FAILED',
      startDate: 1,
      stopDate: 2,
    };
    writeFileSync(
      join(dataDir, 'executions.jsonl'),
      `${JSON.stringify({
        ...old,
        timeline: [
          { timestamp: 1, type: 'ExecutionStarted' },
          { timestamp: 2, type: 'FAILED', error: 'E' },
        ],
      })}\n`,
    );
    const { sfn } = await engineOn(async () => ({}));

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    const redrive = sfn.send(new RedriveExecutionCommand({ executionArn: arn }));

    expect(described).toMatchObject({
      status: 'FAILED',
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution was started before the launch of RedriveExecution',
    });
    await expect(redrive).rejects.toMatchObject({ name: 'ExecutionNotRedrivable' });
  });
});

describe('local EventBridge and Secrets Manager stand-ins', () => {
  let busDir: string;
  beforeEach(() => {
    busDir = mkdtempSync(join(tmpdir(), 'yay-e2e-bus-'));
  });
  afterEach(() => {
    rmSync(busDir, { recursive: true, force: true });
  });

  /** A bus on `busDir` with one rule of two targets, served on loopback, with an SDK client for it. */
  async function durableBus(invoke: (name: string, event: unknown) => Promise<unknown>) {
    const bus = new LocalEventBus({
      dataDir: busDir,
      busName: 'orders',
      rules: [
        {
          id: 'paid',
          bus: 'provisioning',
          pattern: { 'detail-type': ['Order Paid'] },
          targets: [{ functionName: 'dispatch' }, { functionName: 'audit', inputPath: '$.detail' }],
        },
      ],
      invoke,
    });
    const server = await listenLoopback(bus.serviceHandler());
    const client = new EventBridgeClient({ ...FAKE, endpoint: server.url });
    return {
      bus,
      client,
      async close() {
        client.destroy();
        await server.close();
        await bus.close();
      },
    };
  }
  const paid = (orderId: string) => ({
    EventBusName: 'orders',
    Source: 'shop',
    DetailType: 'Order Paid',
    Detail: JSON.stringify({ orderId }),
  });
  const logLines = () =>
    readFileSync(join(busDir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '');

  it('has an accepted event on disk when PutEvents answers, and keeps only events some rule matches', async () => {
    const first = await durableBus(() => new Promise(() => {}));
    try {
      await first.client.send(
        new PutEventsCommand({
          Entries: [paid('o-1'), { ...paid('o-2'), DetailType: 'Order Browsed' }],
        }),
      );
      const lines = logLines();

      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        accepted: { bus: 'provisioning', event: { 'detail-type': 'Order Paid', detail: { orderId: 'o-1' } } },
      });
    } finally {
      await first.close();
    }
  });

  it('delivers again, to the targets that had not finished, what a bus that died had accepted; then forgets it', async () => {
    // First life: audit is delivered, dispatch never finishes (the process dies mid-delivery).
    const firstDelivered: string[] = [];
    const first = await durableBus(async (name) => {
      firstDelivered.push(name);
      if (name === 'dispatch') await new Promise(() => {});
    });
    const put = await first.client.send(new PutEventsCommand({ Entries: [paid('o-3')] }));
    await eventually('audit to be delivered', () => (firstDelivered.includes('audit') ? true : undefined));
    await first.close();
    // Second life on the same data dir.
    const delivered: Array<[string, unknown]> = [];
    const second = await durableBus(async (name, event) => {
      delivered.push([name, event]);
    });
    const redelivered = second.bus.redeliver();
    await second.bus.idle();
    await second.close();
    // Third life: nothing left to deliver, and the file no longer holds it.
    const third = await durableBus(async () => {
      throw new Error('nothing should be delivered');
    });
    const again = third.bus.redeliver();
    await third.close();

    expect(redelivered).toBe(1);
    expect(delivered).toEqual([
      ['dispatch', expect.objectContaining({ id: put.Entries?.[0]?.EventId, detail: { orderId: 'o-3' } })],
    ]);
    expect(again).toBe(0);
    expect(logLines()).toEqual([]);
  });

  it('delivers a put event to the targets whose pattern matches, on the named bus only', async () => {
    const delivered: Array<[string, unknown]> = [];
    const bus = new LocalEventBus({
      dataDir: busDir,
      busName: 'orders',
      rules: [
        {
          id: 'paid',
          bus: 'provisioning',
          pattern: { source: ['shop'], 'detail-type': ['Order Paid'] },
          targets: [{ functionName: 'dispatch' }],
        },
        {
          id: 'detail',
          bus: 'provisioning',
          pattern: { detail: { amount: [{ numeric: ['>', 5] }] } },
          targets: [{ functionName: 'audit', inputPath: '$.detail' }],
        },
      ],
      invoke: async (name, event) => {
        delivered.push([name, event]);
      },
    });
    const server = await listenLoopback(bus.serviceHandler());
    const client = new EventBridgeClient({ ...FAKE, endpoint: server.url });
    try {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'orders',
              Source: 'shop',
              DetailType: 'Order Paid',
              Detail: JSON.stringify({ amount: 10 }),
            },
            {
              EventBusName: 'orders',
              Source: 'shop',
              DetailType: 'Order Placed',
              Detail: JSON.stringify({ amount: 1 }),
            },
            { EventBusName: 'elsewhere', Source: 'shop', DetailType: 'Order Paid', Detail: '{}' },
          ],
        }),
      );
      await bus.idle();

      expect(out.FailedEntryCount).toBe(1);
      expect(out.Entries?.[2]).toMatchObject({ ErrorCode: 'ResourceNotFoundException' });
      expect(delivered.map(([name]) => name).sort()).toEqual(['audit', 'dispatch']);
      expect(delivered.find(([name]) => name === 'audit')?.[1]).toEqual({ amount: 10 });
      expect(delivered.find(([name]) => name === 'dispatch')?.[1]).toMatchObject({
        'detail-type': 'Order Paid',
        source: 'shop',
      });
    } finally {
      client.destroy();
      await server.close();
    }
  });

  it('matches prefix, anything-but and exists the way EventBridge does', () => {
    const event = { source: 'yay.provisioning', detail: { kind: 'paid', tags: ['a', 'b'] } };

    expect(matchesPattern({ source: [{ prefix: 'yay.' }] }, event)).toBe(true);
    expect(matchesPattern({ detail: { kind: [{ 'anything-but': ['paid'] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ['b'] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { kind: ['placed'] } }, event)).toBe(false);
  });

  it('answers GetSecretValue by ARN or name and ResourceNotFoundException for anything else', async () => {
    const secrets = new LocalSecrets();
    const arn = 'arn:aws:secretsmanager:eu-west-2:000000000000:secret:app/naming-key';
    secrets.set(arn, { key: 'naming-test-only-not-a-secret' });
    const server = await listenLoopback(secrets.serviceHandler());
    const client = new SecretsManagerClient({ ...FAKE, endpoint: server.url });
    try {
      const byArn = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      const byName = await client.send(new GetSecretValueCommand({ SecretId: 'app/naming-key' }));
      const missing = client.send(new GetSecretValueCommand({ SecretId: 'app/other' }));

      expect(JSON.parse(byArn.SecretString ?? '')).toEqual({ key: 'naming-test-only-not-a-secret' });
      expect(byName.ARN).toBe(arn);
      await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      client.destroy();
      await server.close();
    }
  });
});

describe('synthesizeLocalTemplate', () => {
  let template: LocalTemplate;

  beforeAll(async () => {
    template = await synthesizeLocalTemplate();
  });

  it('binds every Task of the CDK state machine to a function of the template', () => {
    const states = template.definition.States as Record<
      string,
      { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }
    >;
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');

    expect(Object.keys(states)).toEqual(expect.arrayContaining(Object.values(StateNames)));
    for (const [, state] of tasks) {
      const arn = state.Parameters?.FunctionName ?? state.Resource ?? '';
      const name = arn.split(':function:')[1];
      expect(name && template.functions.has(name)).toBe(true);
    }
    expect([...template.functions.keys()].sort()).toEqual([...FunctionNames].sort());
  });

  it('routes the order events to dispatch and schedules the sweep and the daily reconciliation', () => {
    const targets = template.rules.flatMap((rule) => rule.targets.map((t) => t.functionName));

    expect(targets).toContain('dispatch');
    expect(template.schedules.map((s) => s.functionName).sort()).toEqual(['daily-reconciliation', 'sweep']);
  });
});
