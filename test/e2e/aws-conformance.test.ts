import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CancelReplayCommand,
  CreateArchiveCommand,
  CreateEventBusCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListEventBusesCommand,
  ListReplaysCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { ExecutionHistoryEvent, ExecutionRecord } from '../../local/aws/step-functions/engine';
import { LOCAL_AWS_CREDENTIALS } from '../../local/runtime-info';
import { sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import type { Millis } from '../../shared/domain/credit';
import {
  botocoreServiceModel,
  checkAnswer,
  type RecordedAnswer,
  recordAnswers,
  type ServiceModel,
  sdkServiceModel,
  shapePaths,
} from './service-models';
import { E2E_SECRETS, uniqueBuyer, useLocalMode, yayCustomersOf } from './support';

const run = promisify(execFile);
const REPO = join(dirname(new URL(import.meta.url).pathname), '..', '..');

/** The model of each service local mode answers for, by the names the answers are recorded under. */
const SDK_MODELS: Record<string, ServiceModel> = {
  sfn: sdkServiceModel('@aws-sdk/client-sfn'),
  eventbridge: sdkServiceModel('@aws-sdk/client-eventbridge'),
  secretsManager: sdkServiceModel('@aws-sdk/client-secrets-manager'),
  dynamodb: sdkServiceModel('@aws-sdk/client-dynamodb'),
};
/** botocore's directory names for the same services. */
const BOTOCORE_SERVICES: Record<string, string> = {
  sfn: 'stepfunctions',
  eventbridge: 'events',
  secretsManager: 'secretsmanager',
  dynamodb: 'dynamodb',
};

/**
 * The Python tools this project's machines have and users' machines need not: on a user's machine a test that needs
 * them skips, under CI (`CI` set) it fails instead, so CI can never silently lose the independent checks.
 */
async function pythonTool(what: 'botocore' | 'awscli' | 'moto', ctx: TestContext): Promise<string> {
  const probe: Record<typeof what, [string, string[]]> = {
    botocore: ['python3', ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))']],
    // The test runs the `aws` command itself.
    awscli: ['aws', ['--version']],
    // moto's server needs its extras (flask, werkzeug): import that, not just moto.
    moto: ['python3', ['-c', 'import moto, moto.server; print(moto.__version__)']],
  };
  const [command, args] = probe[what];
  try {
    const { stdout } = await run(command, args);
    return stdout.trim();
  } catch (error) {
    const reason = `${what} is not installed (${error instanceof Error ? error.message.split('\n')[0] : error})`;
    if (process.env.CI) throw new Error(`${reason}: CI must run this check`);
    ctx.skip(reason);
    return '';
  }
}

/**
 * What the model cannot say: each history event carries the details of its own type and no other
 * (`TaskStateExited` → `stateExitedEventDetails`, `TaskScheduled` → `taskScheduledEventDetails`,
 * `LambdaFunctionStarted` → none).
 */
function detailsProblems(events: ReadonlyArray<Record<string, unknown>>): string[] {
  return events.flatMap((event) => {
    const type = String(event.type);
    const expected = type.endsWith('StateEntered')
      ? ['stateEnteredEventDetails']
      : type.endsWith('StateExited')
        ? ['stateExitedEventDetails']
        : type === 'LambdaFunctionStarted'
          ? []
          : [`${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`];
    const present = Object.keys(event).filter((key) => key.endsWith('EventDetails'));
    return JSON.stringify(present) === JSON.stringify(expected)
      ? []
      : [`history event ${String(event.id)} ${type} carries ${present.join(', ') || 'no details'}`];
  });
}

/** The lines of docs/runbook.md's replay runbook marked `# local mode`, without the mark, in order. */
function runbookLocalLines(readme: string): string[] {
  const start = readme.indexOf('## Replay runbook');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((line) => /\s# local mode$/.test(line))
    .map((line) => line.replace(/\s+# local mode$/, '').trim());
}

/** Starts moto's server on a free port; resolves with its URL once it says it is listening. */
function startMoto(): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Not left behind if the test's worker ends first (a timeout).
  const orphaned = () => child.kill();
  process.once('exit', orphaned);
  child.once('exit', () => process.off('exit', orphaned));
  return new Promise((resolve, reject) => {
    let said = '';
    const listen = (chunk: Buffer) => {
      said += chunk.toString('utf8');
      const url = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(said)?.[1];
      if (url) resolve({ url, process: child });
    };
    child.stdout?.on('data', listen);
    child.stderr?.on('data', listen);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`moto's server exited (${code}) before listening: ${said}`)),
    );
  });
}

/**
 * Local mode as AWS's own clients see it: the calls the runbook, `ops`, the console and an operator's first look make,
 * answered as the services' models define them (checked on the raw answers against the SDK's models, and against
 * botocore's where Python has it), Step Functions' redrive semantics, EventBridge's archive replay, the runbook's
 * AWS CLI commands as docs/runbook.md shows them, and the same answers' shapes beside moto's.
 */
describe('local mode, as the AWS SDK, the AWS CLI and moto see it', () => {
  const RICH = 1_000_000 as Millis;
  const answers: RecordedAnswer[] = [];
  let sfn: SFNClient;
  let events: EventBridgeClient;
  let secrets: SecretsManagerClient;
  let dynamodb: DynamoDBClient;
  /** An execution that succeeded, and the order it is of. */
  let paidOrder: string;
  let paidExecution: ExecutionRecord;

  const sandbox = () => localMode.sandbox();
  const send = (event: Record<string, unknown>) =>
    sendStripeEvent(localMode.runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
  const executionOf = (orderKey: string) => {
    const found = localMode.runtime.workflow.list().find((record) => record.orderKey === orderKey);
    if (!found) throw new Error(`no execution of ${orderKey}`);
    return found;
  };
  /** Resolves with the next history event of `type` of the execution (registered before what causes it). */
  const nextEvent = (arn: string, type: string) =>
    new Promise<ExecutionHistoryEvent>((resolve) => {
      const on = (notice: { executionArn: string; event: ExecutionHistoryEvent }) => {
        if (notice.executionArn !== arn || notice.event.type !== type) return;
        localMode.runtime.workflow.events.off('history', on);
        resolve(notice.event);
      };
      localMode.runtime.workflow.events.on('history', on);
    });
  /** Resolves when the execution next closes. */
  const nextClose = (arn: string) =>
    new Promise<ExecutionRecord>((resolve) => {
      const on = (record: ExecutionRecord) => {
        if (record.executionArn !== arn) return;
        localMode.runtime.workflow.events.off('closed', on);
        resolve(record);
      };
      localMode.runtime.workflow.events.on('closed', on);
    });
  /** The call's answer, or the error it raised (its answer is recorded either way). */
  const attempt = <T>(call: Promise<T>): Promise<T | Error> =>
    call.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

  // Long enough that no payment wait expires while the runbook's twenty-odd CLI processes run, however slow the machine.
  const localMode = useLocalMode('aws', { maxWaitSeconds: 3_600, resellerBalance: RICH });

  beforeAll(async () => {
    const config = { region: localMode.runtime.info.region, credentials: LOCAL_AWS_CREDENTIALS };
    const { endpoints } = localMode.runtime.info;
    sfn = recordAnswers(new SFNClient({ ...config, endpoint: endpoints.sfn }), 'sfn', answers);
    events = recordAnswers(
      new EventBridgeClient({ ...config, endpoint: endpoints.eventbridge }),
      'eventbridge',
      answers,
    );
    secrets = recordAnswers(
      new SecretsManagerClient({ ...config, endpoint: endpoints.secretsManager }),
      'secretsManager',
      answers,
    );
    dynamodb = recordAnswers(
      new DynamoDBClient({ ...config, endpoint: endpoints.dynamodb }),
      'dynamodb',
      answers,
    );

    const event = stripeCheckoutEvent({ buyer: uniqueBuyer('conformance-paid'), paymentStatus: 'paid' });
    paidOrder = stripeOrderKey(event);
    await send(event);
    await localMode.runtime.waitForOrder(paidOrder);
    paidExecution = executionOf(paidOrder);
  });

  afterAll(() => {
    for (const client of [sfn, events, secrets, dynamodb]) client?.destroy();
  });

  it('continues a stopped execution from the state it stopped in, with that state’s input, when it is redriven', async () => {
    const buyer = uniqueBuyer('conformance-redrive');
    const placed = stripeCheckoutEvent({ buyer, paymentStatus: 'unpaid' });
    const orderKey = stripeOrderKey(placed);
    const sessionId = (placed.data as { object: { id: string } }).object.id;
    const waiting = (arn: string) => nextEvent(arn, 'TaskSubmitted');
    await send(placed);
    await localMode.runtime.waitForOrder(orderKey, 20_000, 'awaiting_payment');
    const { executionArn } = executionOf(orderKey);
    if (!localMode.runtime.workflow.history(executionArn).some((e) => e.type === 'TaskSubmitted'))
      await waiting(executionArn);
    const enteredBefore = localMode.runtime.workflow
      .history(executionArn)
      .find((e) => e.stateEnteredEventDetails?.name === 'Wait for payment');

    await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'conformance rehearsal' }),
    );
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const resubmitted = waiting(executionArn);
    const { redriveDate } = await sfn.send(new RedriveExecutionCommand({ executionArn }));
    const running = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const submitted = await resubmitted;
    const token = JSON.parse(
      localMode.runtime.workflow
        .history(executionArn)
        .filter((e) => e.type === 'TaskScheduled')
        .at(-1)?.taskScheduledEventDetails?.parameters ?? '{}',
    ).Payload?.taskToken as string;
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    const closed = nextClose(executionArn);
    await send(stripeCheckoutEvent({ buyer, sessionId, type: 'checkout.session.async_payment_succeeded' }));
    await closed;
    const order = await localMode.runtime.waitForOrder(orderKey);
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const again = await attempt(sfn.send(new RedriveExecutionCommand({ executionArn })));
    const history = localMode.runtime.workflow.history(executionArn);
    const redrivenAt = history.findIndex((e) => e.type === 'ExecutionRedriven');

    expect(stopped).toMatchObject({
      status: 'ABORTED',
      error: 'Operator',
      redriveStatus: 'REDRIVABLE',
      redriveCount: 0,
    });
    expect(redriveDate).toBeInstanceOf(Date);
    expect(running).toMatchObject({
      status: 'RUNNING',
      redriveCount: 1,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
    });
    expect(submitted.id).toBeGreaterThan(history[redrivenAt]?.id ?? 0);
    expect(history[redrivenAt - 1]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'conformance rehearsal' },
    });
    expect(history[redrivenAt]?.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });
    // It goes on from the state it was stopped in, with the input that state had; what it had finished is not redone.
    expect(history[redrivenAt + 1]).toMatchObject({
      type: 'TaskStateEntered',
      stateEnteredEventDetails: {
        name: 'Wait for payment',
        input: enteredBefore?.stateEnteredEventDetails?.input,
      },
    });
    expect(history.filter((e) => e.stateEnteredEventDetails?.name === 'Create customer')).toHaveLength(1);
    expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
    expect(history.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, redriveStatus: 'NOT_REDRIVABLE' });
    expect(again).toMatchObject({ name: 'ExecutionNotRedrivable' });
    expect(order.state).toBe('fulfilled');
    expect(yayCustomersOf(sandbox(), buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
      [10_000, 1],
    ]);
  });

  it('re-enters the Fail state an execution failed in, and fails again, when it is redriven', async () => {
    const buyer = uniqueBuyer('conformance-failed');
    const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(event);
    // Yay refuses everything (not on its allow-list): a definite error, caught into the order's outcome.
    sandbox().setFaults({ forbidden: true });
    await send(event);
    const failedOrder = await localMode.runtime.waitForOrder(orderKey);
    sandbox().setFaults({});
    const { executionArn } = executionOf(orderKey);
    const failed = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const closed = nextClose(executionArn);

    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    await closed;
    const after = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const history = localMode.runtime.workflow.history(executionArn);
    const redrivenAt = history.findIndex((e) => e.type === 'ExecutionRedriven');
    const lastEntered = history.slice(0, redrivenAt).findLast((e) => e.type.endsWith('StateEntered'));

    expect(failedOrder.state).toBe('failed');
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: 'ProvisioningFailed',
      redriveStatus: 'REDRIVABLE',
    });
    expect(lastEntered?.type).toBe('FailStateEntered');
    expect(history.slice(redrivenAt).map((e) => [e.type, e.stateEnteredEventDetails?.name])).toEqual([
      ['ExecutionRedriven', undefined],
      ['FailStateEntered', 'Provisioning failed'],
      ['ExecutionFailed', undefined],
    ]);
    expect(history[redrivenAt + 1]?.stateEnteredEventDetails?.input).toBe(
      lastEntered?.stateEnteredEventDetails?.input,
    );
    expect(after).toMatchObject({ status: 'FAILED', error: 'ProvisioningFailed', redriveCount: 1 });
    expect((await localMode.runtime.store.getOrder(orderKey))?.state).toBe('failed');
  });

  it('replays the archived order events onto the bus, and they change nothing downstream', async () => {
    const executionsBefore = localMode.runtime.workflow.list().length;
    const ledgerBefore = JSON.stringify(sandbox().state.transfers);
    const archives = await events.send(new ListArchivesCommand({}));
    const archiveName = archives.Archives?.[0]?.ArchiveName ?? '';
    const archive = await events.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
    const bus = await events.send(new DescribeEventBusCommand({ Name: localMode.runtime.info.eventBusName }));
    const window = {
      EventStartTime: new Date(Date.now() - 3600_000),
      EventEndTime: new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000),
    };

    const started = await events.send(
      new StartReplayCommand({
        ReplayName: 'conformance-replay',
        EventSourceArn: archive.ArchiveArn,
        Destination: { Arn: bus.Arn },
        ...window,
      }),
    );
    await localMode.runtime.idle();
    const replay = await events.send(new DescribeReplayCommand({ ReplayName: 'conformance-replay' }));
    const twice = await attempt(
      events.send(
        new StartReplayCommand({
          ReplayName: 'conformance-replay',
          EventSourceArn: archive.ArchiveArn,
          Destination: { Arn: bus.Arn },
          ...window,
        }),
      ),
    );

    expect(archive.EventCount).toBeGreaterThan(0);
    expect(archive.EventPattern).toBe(JSON.stringify({ source: ['yay.provisioning'] }));
    expect(started.State).toBe('STARTING');
    expect(replay).toMatchObject({ State: 'COMPLETED', EventSourceArn: archive.ArchiveArn });
    expect(replay.EventLastReplayedTime).toBeInstanceOf(Date);
    expect(twice).toMatchObject({ name: 'ResourceAlreadyExistsException' });
    expect(localMode.runtime.workflow.list()).toHaveLength(executionsBefore);
    expect(JSON.stringify(sandbox().state.transfers)).toBe(ledgerBefore);
    // Replayed events are not archived again.
    expect((await events.send(new DescribeArchiveCommand({ ArchiveName: archiveName }))).EventCount).toBe(
      archive.EventCount,
    );
  });

  it('answers every operation it serves, errors included, as the AWS SDK’s service models define them', async () => {
    const stateMachineArn = localMode.runtime.info.stateMachineArn;
    const executionArn = paidExecution.executionArn;
    const unknownExecution = `${executionArn}-unknown`;
    const bus = localMode.runtime.info.eventBusName;
    // Step Functions: the console's and ops' reads, the runbook's actions, the handlers' callbacks, and their errors.
    await sfn.send(new ListStateMachinesCommand({}));
    await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    await attempt(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: `${stateMachineArn}Other` })));
    await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    await sfn.send(new DescribeExecutionCommand({ executionArn }));
    await attempt(sfn.send(new DescribeExecutionCommand({ executionArn: unknownExecution })));
    await attempt(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })));
    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1 }));
    await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1, nextToken: first.nextToken }));
    await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED', redriveFilter: 'REDRIVEN' }),
    );
    await attempt(sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 'not-a-token' })));
    await attempt(sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'DONE' as never })));
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5 }));
    await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 5, nextToken: page.nextToken }),
    );
    await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: false }),
    );
    await attempt(sfn.send(new GetExecutionHistoryCommand({ executionArn: unknownExecution })));
    await attempt(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'not-a-token' })));
    const input = paidExecution.input;
    await attempt(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: paidExecution.name, input: '{}' })),
    );
    const replayed = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `${paidExecution.name}-r1`, input }),
    );
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `${paidExecution.name}-r1`, input }));
    await attempt(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'no spaces', input })));
    await attempt(sfn.send(new StopExecutionCommand({ executionArn: unknownExecution })));
    await attempt(sfn.send(new RedriveExecutionCommand({ executionArn })));
    await attempt(sfn.send(new SendTaskSuccessCommand({ taskToken: 'local1.deadtoken', output: '{}' })));
    await attempt(sfn.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'E', cause: 'c' })));
    await attempt(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'local1.deadtoken' })));
    // EventBridge: the buses, the rules and targets, the archive and its replays.
    await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'conformance.check', DetailType: 'Nothing Matches', Detail: '{}' }],
      }),
    );
    await events.send(new ListEventBusesCommand({}));
    await events.send(new DescribeEventBusCommand({ Name: bus }));
    await attempt(events.send(new DescribeEventBusCommand({ Name: 'no-such-bus' })));
    const rules = await events.send(new ListRulesCommand({ EventBusName: bus, Limit: 1 }));
    await events.send(new ListRulesCommand({ EventBusName: bus, NextToken: rules.NextToken }));
    const rule = rules.Rules?.[0]?.Name ?? '';
    await events.send(new DescribeRuleCommand({ Name: rule, EventBusName: bus }));
    await attempt(events.send(new DescribeRuleCommand({ Name: 'no-such-rule', EventBusName: bus })));
    await events.send(new ListTargetsByRuleCommand({ Rule: rule, EventBusName: bus }));
    await events.send(new ListArchivesCommand({ NamePrefix: 'Bus' }));
    await attempt(events.send(new DescribeArchiveCommand({ ArchiveName: 'no-such-archive' })));
    await events.send(new ListReplaysCommand({}));
    await attempt(events.send(new DescribeReplayCommand({ ReplayName: 'no-such-replay' })));
    await attempt(events.send(new CancelReplayCommand({ ReplayName: 'conformance-replay' })));
    // Secrets Manager: metadata only; a value is never asked for (the unknown secret answers an error).
    const listed = await secrets.send(new ListSecretsCommand({ MaxResults: 2 }));
    await secrets.send(new ListSecretsCommand({ MaxResults: 2, NextToken: listed.NextToken }));
    await secrets.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['yay-provisioning/'] }] }));
    await attempt(secrets.send(new ListSecretsCommand({ NextToken: 'not-a-token' })));
    await secrets.send(new DescribeSecretCommand({ SecretId: 'yay-provisioning/yay-credentials' }));
    await attempt(secrets.send(new DescribeSecretCommand({ SecretId: 'no-such-secret' })));
    await attempt(secrets.send(new GetSecretValueCommand({ SecretId: 'no-such-secret' })));
    // DynamoDB (dynalite behind the IAM proxy): the operator's first look.
    await dynamodb.send(new ListTablesCommand({}));
    await dynamodb.send(new DescribeTableCommand({ TableName: localMode.runtime.info.tableName }));
    await dynamodb.send(
      new GetItemCommand({
        TableName: localMode.runtime.info.tableName,
        Key: { pk: { S: `ORDER#${paidOrder}` }, sk: { S: 'ORDER' } },
      }),
    );
    await dynamodb.send(
      new QueryCommand({
        TableName: localMode.runtime.info.tableName,
        IndexName: 'OpenOrders',
        KeyConditionExpression: 'openPk = :q',
        ExpressionAttributeValues: { ':q': { S: 'ATTENTION' } },
      }),
    );
    await localMode.runtime.waitForOrder(paidOrder);
    await localMode.runtime.idle();

    const problems = [
      ...answers.flatMap((answer) =>
        checkAnswer(SDK_MODELS[answer.service] as ServiceModel, answer.operation, answer),
      ),
      ...answers
        .filter((answer) => answer.operation === 'GetExecutionHistory' && answer.status === 200)
        .flatMap((answer) =>
          detailsProblems((answer.body as { events: Array<Record<string, unknown>> }).events),
        ),
    ];
    const served = localMode.runtime.awsOperations;
    const answered = (service: string) =>
      new Set(answers.filter((a) => a.service === service).map((a) => a.operation));

    expect(replayed.executionArn).toBe(`${executionArn}-r1`);
    expect(problems).toEqual([]);
    for (const service of ['sfn', 'eventbridge', 'secretsManager'] as const) {
      expect(
        [...served[service]].filter((operation) => !answered(service).has(operation)),
        service,
      ).toEqual([]);
    }
    expect(
      answers.filter((a) => a.status >= 400).map((a) => `${a.operation} ${String(a.errorType)}`),
    ).toEqual(
      expect.arrayContaining([
        'DescribeStateMachine StateMachineDoesNotExist',
        'DescribeExecution ExecutionDoesNotExist',
        'DescribeExecution InvalidArn',
        'ListExecutions InvalidToken',
        'ListExecutions ValidationException',
        'StartExecution ExecutionAlreadyExists',
        'StartExecution InvalidName',
        'RedriveExecution ExecutionNotRedrivable',
        'SendTaskSuccess TaskTimedOut',
        'SendTaskFailure InvalidToken',
        'DescribeRule ResourceNotFoundException',
        'StartReplay ResourceAlreadyExistsException',
        'CancelReplay IllegalStatusException',
        'ListSecrets InvalidNextTokenException',
        'DescribeSecret ResourceNotFoundException',
      ]),
    );
  });

  it('runs the runbook’s AWS CLI commands against local mode, as docs/runbook.md shows them', async (ctx) => {
    await pythonTool('awscli', ctx);
    const lines = runbookLocalLines(readFileSync(join(REPO, 'docs', 'runbook.md'), 'utf8'));
    const buyer = uniqueBuyer('conformance-runbook');
    const placed = stripeCheckoutEvent({ buyer, paymentStatus: 'unpaid' });
    const orderKey = stripeOrderKey(placed);
    await send(placed);
    await localMode.runtime.waitForOrder(orderKey, 20_000, 'awaiting_payment');
    const execution = executionOf(orderKey);
    if (!localMode.runtime.workflow.history(execution.executionArn).some((e) => e.type === 'TaskSubmitted'))
      await nextEvent(execution.executionArn, 'TaskSubmitted');
    const work = mkdtempSync(join(tmpdir(), 'yay-runbook-'));
    const script = [
      'set -eu',
      ...lines.flatMap((line) => [`echo '+ ${line.replaceAll("'", "'\\''")}'`, line]),
    ];
    try {
      const { stdout } = await run('sh', ['-c', script.join('\n')], {
        cwd: work,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          AWS_CONFIG_FILE: join(work, 'no-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
          AWS_PAGER: '',
          LOCAL_DATA_DIR: localMode.dataDir,
          ORDER: orderKey,
          EXECUTION: execution.executionArn,
          FROM: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          TO: new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          REPLAY: 'runbook-rehearsal',
        },
      });
      const replay = await events.send(new DescribeReplayCommand({ ReplayName: 'runbook-rehearsal' }));
      const again = localMode.runtime.workflow.list().find((r) => r.name === `${execution.name}-r1`);

      expect(lines.length).toBeGreaterThan(15);
      expect(stdout).toContain('"stopDate"');
      expect(stdout).toContain('"redriveDate"');
      expect(stdout).toContain('"awaiting_payment"');
      expect(localMode.runtime.workflow.describe(execution.executionArn)).toMatchObject({
        status: 'RUNNING',
        redriveCount: 1,
      });
      expect(again?.orderKey).toBe(orderKey);
      // `--output text` ends the input with a newline, which JSON ignores.
      expect(JSON.parse(again?.input ?? 'null')).toEqual(JSON.parse(execution.input));
      expect(replay.EventSourceArn).toMatch(/:archive\//);
      expect(stdout).not.toContain(E2E_SECRETS.YAY_PASSWORD);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    // Twenty-odd AWS CLI processes, each a Python start of about half a second.
  }, 120_000);

  it('answers the same calls in the shapes moto answers them in', async (ctx) => {
    await pythonTool('moto', ctx);
    const moto = await startMoto();
    const motoAnswers: RecordedAnswer[] = [];
    const localAnswers: RecordedAnswer[] = [];
    const config = { region: 'eu-west-2', credentials: LOCAL_AWS_CREDENTIALS, endpoint: moto.url };
    const local = { region: localMode.runtime.info.region, credentials: LOCAL_AWS_CREDENTIALS };
    const clients = {
      moto: {
        sfn: recordAnswers(new SFNClient(config), 'sfn', motoAnswers),
        events: recordAnswers(new EventBridgeClient(config), 'eventbridge', motoAnswers),
        secrets: recordAnswers(new SecretsManagerClient(config), 'secretsManager', motoAnswers),
      },
      local: {
        sfn: recordAnswers(
          new SFNClient({ ...local, endpoint: localMode.runtime.info.endpoints.sfn }),
          'sfn',
          localAnswers,
        ),
        events: recordAnswers(
          new EventBridgeClient({ ...local, endpoint: localMode.runtime.info.endpoints.eventbridge }),
          'eventbridge',
          localAnswers,
        ),
        secrets: recordAnswers(
          new SecretsManagerClient({ ...local, endpoint: localMode.runtime.info.endpoints.secretsManager }),
          'secretsManager',
          localAnswers,
        ),
      },
    };
    try {
      // moto gets what the templates create: the state machine, one execution of it, the bus, one rule and its
      // targets, the archive, a replay, a secret with a description and tags.
      const template = localMode.runtime.template;
      const busName = localMode.runtime.info.eventBusName;
      const rule = template.rules.find((r) => r.bus === 'provisioning' && (r.apiTargets ?? []).length > 0);
      const archive = template.archives?.[0];
      if (!rule || !archive) throw new Error('the template has no rule with targets, or no archive');
      const { stateMachineArn } = await clients.moto.sfn.send(
        new CreateStateMachineCommand({
          name: template.stateMachineName,
          definition: JSON.stringify(template.definition),
          roleArn: template.stateMachine?.roleArn ?? 'arn:aws:iam::000000000000:role/local',
        }),
      );
      const { executionArn: motoExecution } = await clients.moto.sfn.send(
        new StartExecutionCommand({ stateMachineArn, name: paidExecution.name, input: paidExecution.input }),
      );
      const { EventBusArn: motoBus } = await clients.moto.events.send(
        new CreateEventBusCommand({ Name: busName, Description: template.eventBusDescription }),
      );
      await clients.moto.events.send(
        new PutRuleCommand({
          Name: rule.name,
          EventBusName: busName,
          EventPattern: JSON.stringify(rule.pattern),
          Description: rule.description,
        }),
      );
      await clients.moto.events.send(
        new PutTargetsCommand({
          Rule: rule.name,
          EventBusName: busName,
          Targets: [...(rule.apiTargets ?? [])],
        }),
      );
      const { ArchiveArn: motoArchive } = await clients.moto.events.send(
        new CreateArchiveCommand({
          ArchiveName: archive.name,
          EventSourceArn: motoBus,
          EventPattern: JSON.stringify(archive.pattern),
          RetentionDays: archive.retentionDays,
          Description: archive.description,
        }),
      );
      const window = { EventStartTime: new Date(Date.now() - 3600_000), EventEndTime: new Date() };
      await clients.moto.events.send(
        new StartReplayCommand({
          ReplayName: 'conformance-replay',
          EventSourceArn: motoArchive,
          Destination: { Arn: motoBus },
          ...window,
        }),
      );
      const secret = 'yay-provisioning/yay-credentials';
      const described = await clients.local.secrets.send(new DescribeSecretCommand({ SecretId: secret }));
      await clients.moto.secrets.send(
        new CreateSecretCommand({
          Name: secret,
          Description: described.Description,
          Tags: described.Tags,
          SecretString: '{"moto":"not-a-secret"}',
        }),
      );

      // The same reads on both sides, answers recorded from here on.
      motoAnswers.length = 0;
      localAnswers.length = 0;
      const both = async (call: (side: (typeof clients)['local'], ids: Ids) => Promise<unknown>) => {
        await attempt(
          call(clients.local, {
            stateMachineArn: localMode.runtime.info.stateMachineArn,
            executionArn: paidExecution.executionArn,
            busArn: undefined,
          }),
        );
        await attempt(
          call(clients.moto, {
            stateMachineArn: stateMachineArn ?? '',
            executionArn: motoExecution ?? '',
            busArn: motoBus,
          }),
        );
      };
      type Ids = { stateMachineArn: string; executionArn: string; busArn: string | undefined };
      await both((c) => c.sfn.send(new ListStateMachinesCommand({})));
      await both((c, ids) =>
        c.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: ids.stateMachineArn })),
      );
      await both((c, ids) => c.sfn.send(new DescribeExecutionCommand({ executionArn: ids.executionArn })));
      await both((c, ids) =>
        c.sfn.send(new DescribeExecutionCommand({ executionArn: `${ids.executionArn}-unknown` })),
      );
      await both((c, ids) => c.sfn.send(new ListExecutionsCommand({ stateMachineArn: ids.stateMachineArn })));
      await both((c, ids) => c.sfn.send(new GetExecutionHistoryCommand({ executionArn: ids.executionArn })));
      await both((c) => c.events.send(new ListEventBusesCommand({})));
      await both((c) => c.events.send(new DescribeEventBusCommand({ Name: busName })));
      await both((c) => c.events.send(new ListRulesCommand({ EventBusName: busName })));
      await both((c) => c.events.send(new DescribeRuleCommand({ Name: rule.name, EventBusName: busName })));
      await both((c) =>
        c.events.send(new DescribeRuleCommand({ Name: 'no-such-rule', EventBusName: busName })),
      );
      await both((c) =>
        c.events.send(new ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: busName })),
      );
      await both((c) => c.events.send(new ListArchivesCommand({})));
      await both((c) => c.events.send(new DescribeArchiveCommand({ ArchiveName: archive.name })));
      await both((c) => c.events.send(new DescribeReplayCommand({ ReplayName: 'conformance-replay' })));
      await both((c) => c.events.send(new ListReplaysCommand({})));
      await both((c) => c.secrets.send(new DescribeSecretCommand({ SecretId: secret })));
      await both((c) => c.secrets.send(new DescribeSecretCommand({ SecretId: 'no-such-secret' })));
      await both((c) => c.secrets.send(new ListSecretsCommand({})));

      const differences: string[] = [];
      expect(localAnswers.map((a) => a.operation)).toEqual(motoAnswers.map((a) => a.operation));
      localAnswers.forEach((mine, i) => {
        const theirs = motoAnswers[i] as RecordedAnswer;
        const what = `${mine.operation}#${i}`;
        if (mine.status < 300 !== theirs.status < 300 || mine.errorType !== theirs.errorType) {
          differences.push(
            `${what}: local answers ${mine.status} ${String(mine.errorType)}, moto ${theirs.status} ${String(theirs.errorType)}`,
          );
          return;
        }
        if (mine.status >= 300) return;
        const model = SDK_MODELS[mine.service] as ServiceModel;
        const ours = shapePaths(model.output(mine.operation), mine.body);
        const motos = shapePaths(model.output(mine.operation), theirs.body);
        for (const [path, type] of motos) {
          const local = ours.get(path);
          if (local === undefined) {
            differences.push(`${what}: moto answers ${path} (${type}), local mode does not`);
          } else if (local !== type) {
            differences.push(`${what}: ${path} is ${local} locally, ${type} in moto`);
          }
        }
      });

      expect(differences).toEqual([]);
    } finally {
      for (const side of Object.values(clients)) for (const client of Object.values(side)) client.destroy();
      moto.process.kill();
    }
  });

  it('answers as botocore’s models (what the AWS CLI reads) define them too', async (ctx) => {
    const botocore = await pythonTool('botocore', ctx);
    const models = Object.fromEntries(
      Object.entries(BOTOCORE_SERVICES).map(([service, name]) => [
        service,
        botocoreServiceModel(botocore, name),
      ]),
    );

    const problems = answers.flatMap((answer) =>
      checkAnswer(models[answer.service] as ServiceModel, answer.operation, answer),
    );

    expect(answers.length).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  });

  // Last, over everything above: the operator's calls come without a caller and are allowed; the functions' own calls
  // are still checked, and a green run needs no more than the template grants.
  it("made no call a function's role does not allow", () => {
    expect(localMode.runtime.iam.denials).toEqual([]);
    expect(localMode.runtime.iam.checked.size).toBeGreaterThan(5);
  });
});
