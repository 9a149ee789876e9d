import { describe, expect, it } from 'vitest';
import { checkAnswer, departures, sdkServiceModel, shapePaths } from './service-models';

const sfn = sdkServiceModel('@aws-sdk/client-sfn');
const secrets = sdkServiceModel('@aws-sdk/client-secrets-manager');
const events = sdkServiceModel('@aws-sdk/client-eventbridge');

const EXECUTION = {
  executionArn: 'arn:aws:states:eu-west-2:000000000000:execution:M:e',
  stateMachineArn: 'arn:aws:states:eu-west-2:000000000000:stateMachine:M',
  name: 'e',
  status: 'SUCCEEDED',
  startDate: 1_796_000_000.5,
};

/**
 * The conformance walker (test/e2e/service-models.ts) over the AWS SDK's own models: every check it makes must be able
 * to fail, or the conformance test proves nothing.
 */
describe('the service-model walker', () => {
  it('accepts an answer the model defines, to the last nested member', () => {
    const history = {
      events: [
        {
          timestamp: 1_796_000_000,
          type: 'TaskStateExited',
          id: 2,
          previousEventId: 1,
          stateExitedEventDetails: {
            name: 'Create customer',
            output: '{}',
            outputDetails: { truncated: false },
          },
        },
      ],
    };

    expect(checkAnswer(sfn, 'DescribeExecution', { status: 200, body: EXECUTION })).toEqual([]);
    expect(checkAnswer(sfn, 'GetExecutionHistory', { status: 200, body: history })).toEqual([]);
  });

  it('refuses an event type the model does not have, such as the SUCCEEDED local mode used to answer', () => {
    const history = { events: [{ timestamp: 1, type: 'SUCCEEDED', id: 1, previousEventId: 0 }] };

    expect(checkAnswer(sfn, 'GetExecutionHistory', { status: 200, body: history })).toEqual([
      expect.stringMatching(
        /^GetExecutionHistory\.events\[0\]\.type: "SUCCEEDED" is not one of .*ExecutionSucceeded/,
      ),
    ]);
  });

  it('refuses a member the model does not have, a wrong type and a missing required member', () => {
    const { status: _status, ...withoutStatus } = EXECUTION;

    expect(
      checkAnswer(sfn, 'DescribeExecution', { status: 200, body: { ...EXECUTION, stage: 'x' } }),
    ).toEqual(['DescribeExecution.stage: DescribeExecutionOutput has no member stage']);
    expect(
      checkAnswer(sfn, 'DescribeExecution', { status: 200, body: { ...EXECUTION, startDate: '2026-12-01' } }),
    ).toEqual(['DescribeExecution.startDate: expected timestamp (epoch seconds), got string']);
    expect(checkAnswer(sfn, 'DescribeExecution', { status: 200, body: withoutStatus })).toEqual([
      'DescribeExecution: required member status of DescribeExecutionOutput is missing',
    ]);
    expect(
      checkAnswer(sfn, 'DescribeExecution', { status: 200, body: { ...EXECUTION, redriveCount: '1' } }),
    ).toEqual(['DescribeExecution.redriveCount: expected number, got string']);
  });

  it('refuses an enum value in a list the model types by its enum', () => {
    const answer = { status: 200, body: { Rules: [{ Name: 'r', State: 'ON' }] } };

    expect(checkAnswer(events, 'ListRules', answer)).toEqual([
      expect.stringMatching(/^ListRules\.Rules\[0\]\.State: "ON" is not one of /),
    ]);
  });

  it('refuses an error the operation cannot raise, a member its shape does not have, and a mismatched error type', () => {
    const unlisted = {
      status: 400,
      errorType: 'TaskTimedOut',
      body: { __type: 'TaskTimedOut', message: 'm' },
    };
    // Secrets Manager's errors spell it Message.
    const lowercase = {
      status: 400,
      errorType: 'ResourceNotFoundException',
      body: { __type: 'ResourceNotFoundException', message: 'm' },
    };
    const mismatched = {
      status: 400,
      errorType: 'InvalidArn',
      body: { __type: 'ExecutionDoesNotExist', message: 'm' },
    };

    expect(checkAnswer(sfn, 'DescribeExecution', unlisted)).toEqual([
      'DescribeExecution: @aws-sdk/client-sfn does not list TaskTimedOut among its errors',
    ]);
    expect(checkAnswer(secrets, 'DescribeSecret', lowercase)).toEqual([
      'DescribeSecret ResourceNotFoundException.message: ResourceNotFoundException has no member message',
    ]);
    expect(checkAnswer(sfn, 'DescribeExecution', mismatched)).toEqual([
      "DescribeExecution: x-amzn-ErrorType InvalidArn is not the body's __type ExecutionDoesNotExist",
    ]);
    expect(
      checkAnswer(secrets, 'DescribeSecret', {
        status: 400,
        errorType: 'ResourceNotFoundException',
        body: { __type: 'ResourceNotFoundException', Message: 'm' },
      }),
    ).toEqual([]);
  });

  it('accepts a common error with a message only', () => {
    const denied = {
      status: 400,
      errorType: 'AccessDeniedException',
      body: { __type: 'AccessDeniedException' },
    };

    expect(
      checkAnswer(sfn, 'StartExecution', { ...denied, body: { ...denied.body, message: 'no' } }),
    ).toEqual([]);
    expect(checkAnswer(sfn, 'StartExecution', { ...denied, body: { ...denied.body, reason: 'no' } })).toEqual(
      ['StartExecution AccessDeniedException: a common error has no member reason'],
    );
  });

  it('walks a map by its value shape and keeps only the members the model has when comparing shapes', () => {
    const describe = secrets.output('DescribeSecret');
    const answer = { ARN: 'a', VersionIdsToStages: { v1: ['AWSCURRENT'] }, Elsewhere: 1, KmsKeyId: null };

    expect(departures(describe, { VersionIdsToStages: { v1: [1] } })).toEqual([
      '$.VersionIdsToStages.v1[0]: expected string, got number',
    ]);
    expect([...shapePaths(describe, answer)]).toEqual([
      ['$', 'object'],
      ['$.ARN', 'string'],
      ['$.VersionIdsToStages', 'map'],
      ['$.VersionIdsToStages{}', 'array'],
      ['$.VersionIdsToStages{}[]', 'string'],
    ]);
  });
});
