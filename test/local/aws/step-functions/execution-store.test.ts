import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ExecutionRecord, ExecutionStore } from '../../../../local/aws/step-functions/execution-store';

const ARN = 'arn:aws:states:eu-west-2:000000000000:execution:M:e';
const record = (status: ExecutionRecord['status'] = 'RUNNING'): ExecutionRecord => ({
  executionArn: ARN,
  name: 'e',
  input: '{"order":{"orderKey":"k"}}',
  status,
  startDate: 1_000,
});

describe('executions.jsonl (local/aws/step-functions/execution-store.ts)', () => {
  let dir: string;
  const file = () => join(dir, 'executions.jsonl');
  const lines = () =>
    readFileSync(file(), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'yay-executions-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers each event after the last and reads a history back from the file, in a new store too', () => {
    const store = new ExecutionStore(dir);
    store.putRecord(record());
    store.appendEvent(ARN, {
      timestamp: 1,
      type: 'ExecutionStarted',
      executionStartedEventDetails: { input: '{}' },
    });
    store.appendEvent(ARN, {
      timestamp: 2,
      type: 'TaskStateEntered',
      stateEnteredEventDetails: { name: 'A', input: '{"a":1}' },
    });
    store.close();

    const reopened = new ExecutionStore(dir);

    expect(reopened.records.get(ARN)).toEqual(record());
    expect(reopened.events(ARN)).toEqual([
      {
        timestamp: 1,
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: { input: '{}' },
      },
      {
        timestamp: 2,
        type: 'TaskStateEntered',
        id: 2,
        previousEventId: 1,
        stateEnteredEventDetails: { name: 'A', input: '{"a":1}' },
      },
    ]);
    reopened.close();
  });

  it('cuts off a line a kill left half written, so the next event starts a line of its own', () => {
    const store = new ExecutionStore(dir);
    store.putRecord(record());
    store.appendEvent(ARN, { timestamp: 1, type: 'ExecutionStarted' });
    store.close();
    appendFileSync(file(), `{"arn":"${ARN}","event":{"timestamp":2,"ty`);

    const reopened = new ExecutionStore(dir);
    reopened.appendEvent(ARN, { timestamp: 3, type: 'ExecutionAborted' });

    expect(reopened.events(ARN).map((event) => [event.id, event.type])).toEqual([
      [1, 'ExecutionStarted'],
      [2, 'ExecutionAborted'],
    ]);
    expect(() => lines()).not.toThrow();
    reopened.close();
  });

  it('migrates a file of the earlier format: each timeline becomes the Step Functions events it stands for', () => {
    const timeline = [
      { timestamp: 1, type: 'ExecutionStarted' },
      { timestamp: 2, type: 'StateEntered', state: 'Create customer', stateType: 'Task' },
      {
        timestamp: 3,
        type: 'StateFailed',
        state: 'Create customer',
        stateType: 'Task',
        error: 'YayUnavailable',
      },
      { timestamp: 4, type: 'StateRetried', state: 'Create customer', stateType: 'Task' },
      { timestamp: 5, type: 'StateExited', state: 'Create customer', stateType: 'Task' },
      { timestamp: 6, type: 'SUCCEEDED' },
    ];
    writeFileSync(
      file(),
      `${JSON.stringify(record())}\n${JSON.stringify({ ...record('SUCCEEDED'), output: '{"done":true}', stopDate: 6, timeline })}\n`,
    );

    const store = new ExecutionStore(dir, (state) => (state === 'Create customer' ? 'function' : undefined));

    expect(store.records.get(ARN)).toMatchObject({ status: 'SUCCEEDED', startedBeforeRedrive: true });
    expect(store.events(ARN)).toEqual([
      {
        timestamp: 1,
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: { input: record().input, inputDetails: { truncated: false } },
      },
      {
        timestamp: 2,
        type: 'TaskStateEntered',
        id: 2,
        previousEventId: 1,
        stateEnteredEventDetails: { name: 'Create customer' },
      },
      {
        timestamp: 3,
        type: 'LambdaFunctionFailed',
        id: 3,
        previousEventId: 2,
        lambdaFunctionFailedEventDetails: { error: 'YayUnavailable' },
      },
      {
        timestamp: 5,
        type: 'TaskStateExited',
        id: 4,
        previousEventId: 3,
        stateExitedEventDetails: { name: 'Create customer' },
      },
      {
        timestamp: 6,
        type: 'ExecutionSucceeded',
        id: 5,
        previousEventId: 4,
        executionSucceededEventDetails: { output: '{"done":true}', outputDetails: { truncated: false } },
      },
    ]);
    expect(lines().every((line) => 'execution' in line || 'arn' in line)).toBe(true);
    store.close();
  });
});
