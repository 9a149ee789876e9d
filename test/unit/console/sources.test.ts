import { ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { sourcesFromTarget } from '../../../console/sources';
import { MASKED, type Target } from '../../../ops/target';
import { recordingObservability } from '../workflow/fakes';

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

  it('answers undefined for an execution Step Functions does not know', async () => {
    mock
      .on(GetExecutionHistoryCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
    expect(await sources.history(ARN)).toBeUndefined();
  });
});
