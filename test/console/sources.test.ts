import { ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sourcesFromTarget } from '../../console/sources';
import { MASKED } from '../../ops/history';
import type { Target } from '../../ops/target';
import { recordingObservability } from '../shared/workflow/fakes';

const ARN = 'arn:aws:states:eu-west-2:123456789012:execution:CustomerProvisioning:stripe_default_cs_1-abc';

describe('console sources: an execution history', () => {
  const sfn = new SFNClient({
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const mock = mockClient(sfn);
  /** Only what building the sources and `history` read: the Step Functions client and the state machine. */
  const target = {
    where: 'test',
    sfn,
    stateMachineArn: 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning',
  } as unknown as Target;
  const sources = sourcesFromTarget(target, {
    observability: recordingObservability().observability,
    integrations: {},
  });
  afterAll(() => mock.restore());
  beforeEach(() => mock.reset());

  it('follows every page of a long history, in order', async () => {
    mock
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: undefined })
      .resolves({
        events: [
          {
            id: 1,
            timestamp: new Date('2026-12-01T10:00:00Z'),
            type: 'TaskStateEntered',
            stateEnteredEventDetails: { name: 'Create customer' },
          },
        ],
        nextToken: 'page-2',
      })
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: 'page-2' })
      .resolves({
        events: [
          {
            id: 2,
            timestamp: new Date('2026-12-01T10:00:01Z'),
            type: 'ExecutionFailed',
            executionFailedEventDetails: { error: 'YayRejected' },
          },
        ],
      });

    expect(await sources.history(ARN)).toEqual([
      { at: '2026-12-01T10:00:00.000Z', type: 'TaskStateEntered', state: 'Create customer' },
      { at: '2026-12-01T10:00:01.000Z', type: 'ExecutionFailed', error: 'YayRejected' },
    ]);
    expect(mock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(2);
  });

  it('shows a state’s input and output as the Step Functions console does, a task token masked, never a task’s parameters', async () => {
    const token = 'AQB8AAAAKgAAAAMAAAAA-test-only-task-token';
    mock.on(GetExecutionHistoryCommand).resolves({
      events: [
        {
          id: 1,
          timestamp: new Date('2026-12-01T10:00:00Z'),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: {
            name: 'Wait for payment',
            input: JSON.stringify({ order: { orderKey: 'k' }, taskToken: token }),
          },
        },
        {
          id: 2,
          timestamp: new Date('2026-12-01T10:00:00Z'),
          type: 'TaskScheduled',
          taskScheduledEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke.waitForTaskToken',
            region: 'eu-west-2',
            parameters: JSON.stringify({ Payload: { taskToken: token } }),
          },
        },
        {
          id: 3,
          timestamp: new Date('2026-12-01T10:00:01Z'),
          type: 'TaskStateExited',
          stateExitedEventDetails: { name: 'Wait for payment', output: '{"payment":{"paid":true}}' },
        },
      ],
    });

    const entries = await sources.history(ARN);

    expect(entries).toEqual([
      {
        at: '2026-12-01T10:00:00.000Z',
        type: 'TaskStateEntered',
        state: 'Wait for payment',
        input: JSON.stringify({ order: { orderKey: 'k' }, taskToken: MASKED }, null, 2),
      },
      { at: '2026-12-01T10:00:00.000Z', type: 'TaskScheduled' },
      {
        at: '2026-12-01T10:00:01.000Z',
        type: 'TaskStateExited',
        state: 'Wait for payment',
        output: JSON.stringify({ payment: { paid: true } }, null, 2),
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(token);
  });

  it('reads a long history’s first 500 events and its newest 100, saying how many it left out between', async () => {
    const event = (id: number) => ({
      id,
      timestamp: new Date(Date.UTC(2026, 11, 1, 10, 0, 0, id)),
      type: 'LambdaFunctionFailed' as const,
      lambdaFunctionFailedEventDetails: { error: 'ResellerBalanceTooLow' },
    });
    const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    mock
      .on(GetExecutionHistoryCommand, { executionArn: ARN, maxResults: 200, nextToken: undefined })
      .resolves({ events: ids(1, 200).map(event), nextToken: 'p2' })
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: 'p2' })
      .resolves({ events: ids(201, 400).map(event), nextToken: 'p3' })
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: 'p3' })
      .resolves({ events: ids(401, 600).map(event), nextToken: 'p4' })
      .on(GetExecutionHistoryCommand, { executionArn: ARN, reverseOrder: true })
      .resolves({ events: ids(601, 700).reverse().map(event) });

    const entries = (await sources.history(ARN)) ?? [];

    expect(entries).toHaveLength(600);
    expect(entries[499]?.at).toBe(event(500).timestamp.toISOString());
    expect(entries[500]).toMatchObject({ at: event(601).timestamp.toISOString(), omitted: 100 });
    expect(entries.at(-1)?.at).toBe(event(700).timestamp.toISOString());
    expect(entries.filter((entry) => entry.omitted)).toHaveLength(1);
  });

  it('answers undefined for an execution Step Functions does not know', async () => {
    mock
      .on(GetExecutionHistoryCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
    expect(await sources.history(ARN)).toBeUndefined();
  });
});
