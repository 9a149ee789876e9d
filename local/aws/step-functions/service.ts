/** Step Functions' AWS JSON 1.0 API over the local engine: what the handlers, ops, the console and the runbook call. */
import { randomUUID } from 'node:crypto';
import type { ExecutionStatus } from '../../../shared/workflow/ports';
import type { AccessCheck, AccessRequest } from '../../iam/access';
import { AwsServiceError, awsJsonHandler, pageOf, requireMember } from '../aws-json';
import type { LocalStepFunctions } from './engine';
import type { ExecutionHistoryEvent, ExecutionRecord } from './execution-store';

const STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];
const STATE_MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;

/**
 * What IAM authorizes a call on: the state machine for those about it (StartExecution, ListExecutions,
 * DescribeStateMachine), `*` for ListStateMachines, the execution for those about one, and for a task callback the
 * state machine whose task the token belongs to (IAM's resource for SendTask*: there is one state machine here, and
 * every token, live or dead, is one of its tasks).
 */
export function stepFunctionsAccessRequests(
  stateMachineArn: string,
  operation: string,
  input: Record<string, unknown>,
): AccessRequest[] {
  const action = `states:${operation}`;
  const arn = (value: unknown) => (typeof value === 'string' && value !== '' ? value : '*');
  switch (operation) {
    case 'StartExecution':
    case 'ListExecutions':
    case 'DescribeStateMachine':
      return [{ action, resource: arn(input.stateMachineArn) }];
    case 'ListStateMachines':
      return [{ action, resource: '*' }];
    case 'SendTaskSuccess':
    case 'SendTaskFailure':
    case 'SendTaskHeartbeat':
      return [{ action, resource: stateMachineArn }];
    default:
      return [{ action, resource: arn(input.executionArn) }];
  }
}

/** Refuses what is not a state machine ARN (InvalidArn), or not this one (StateMachineDoesNotExist). */
function checkStateMachine(engine: LocalStepFunctions, arn: unknown): void {
  if (typeof arn !== 'string' || !STATE_MACHINE_ARN.test(arn))
    throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
  if (arn !== engine.stateMachineArn)
    throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
}

/** The state machine's description, as DescribeStateMachine and DescribeStateMachineForExecution share it. */
function machineDescription(engine: LocalStepFunctions) {
  const config = engine.options.stateMachine;
  return {
    stateMachineArn: engine.stateMachineArn,
    name: engine.options.stateMachineName,
    definition: JSON.stringify(engine.options.definition),
    roleArn: engine.roleArn,
    loggingConfiguration: config?.logging
      ? {
          level: config.logging.level,
          includeExecutionData: config.logging.includeExecutionData,
          destinations: config.logging.logGroupArns.map((logGroupArn) => ({
            cloudWatchLogsLogGroup: { logGroupArn },
          })),
        }
      : { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: config?.tracingEnabled ?? false },
    // The template sets no key of its own: Step Functions encrypts with one it owns.
    encryptionConfiguration: { type: 'AWS_OWNED_KEY' },
  };
}

/** The AWS JSON 1.0 operations of Step Functions local mode serves, over loopback; `access` enforces IAM. */
export function stepFunctionsService(engine: LocalStepFunctions, access?: AccessCheck) {
  const epoch = (ms?: number) => (ms === undefined ? undefined : ms / 1000);
  const invalidToken = (token: string) => new AwsServiceError('InvalidToken', `Invalid Token: '${token}'`);
  const summary = (record: ExecutionRecord) => ({
    executionArn: record.executionArn,
    stateMachineArn: engine.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epoch(record.startDate),
    stopDate: epoch(record.stopDate),
    redriveCount: record.redriveCount ?? 0,
    redriveDate: epoch(record.redriveDate),
  });
  const describe = (record: ExecutionRecord) => {
    const reason = engine.redriveStatusReason(record);
    return {
      ...summary(record),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      error: record.error,
      cause: record.cause,
      redriveStatus: reason ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
      ...(reason ? { redriveStatusReason: reason } : {}),
    };
  };
  const withoutData = (event: ExecutionHistoryEvent): ExecutionHistoryEvent =>
    JSON.parse(JSON.stringify(event), (key, value) =>
      key === 'input' || key === 'output' || key === 'parameters' ? undefined : value,
    ) as ExecutionHistoryEvent;
  return awsJsonHandler({
    targetPrefix: 'AWSStepFunctions',
    jsonVersion: '1.0',
    ...(access
      ? {
          access: {
            check: access,
            requests: (operation, input) =>
              stepFunctionsAccessRequests(engine.stateMachineArn, operation, input),
          },
        }
      : {}),
    operations: {
      DescribeStateMachine: (input) => {
        checkStateMachine(engine, requireMember(input, 'stateMachineArn'));
        return {
          ...machineDescription(engine),
          status: 'ACTIVE',
          type: engine.options.stateMachine?.type ?? 'STANDARD',
          creationDate: epoch(engine.createdAt),
        };
      },
      DescribeStateMachineForExecution: (input) => {
        engine.describe(requireMember(input, 'executionArn'));
        return { ...machineDescription(engine), updateDate: epoch(engine.createdAt) };
      },
      ListStateMachines: (input) => {
        const page = pageOf([engine.stateMachineArn], input.nextToken, input.maxResults, {
          defaultSize: 100,
          maxSize: 1000,
          scope: 'stateMachines',
          invalidToken,
        });
        return {
          stateMachines: page.items.map((stateMachineArn) => ({
            stateMachineArn,
            name: engine.options.stateMachineName,
            type: engine.options.stateMachine?.type ?? 'STANDARD',
            creationDate: epoch(engine.createdAt),
          })),
          nextToken: page.nextToken,
        };
      },
      StartExecution: (input) => {
        checkStateMachine(engine, requireMember(input, 'stateMachineArn'));
        const record = engine.startExecution(
          typeof input.name === 'string' ? input.name : randomUUID(),
          typeof input.input === 'string' ? input.input : '{}',
        );
        return { executionArn: record.executionArn, startDate: epoch(record.startDate) };
      },
      DescribeExecution: (input) => describe(engine.describe(requireMember(input, 'executionArn'))),
      StopExecution: (input) => {
        const record = engine.stopExecution(
          requireMember(input, 'executionArn'),
          typeof input.error === 'string' ? input.error : undefined,
          typeof input.cause === 'string' ? input.cause : undefined,
        );
        return { stopDate: epoch(record.stopDate) };
      },
      RedriveExecution: (input) => {
        const { redriveDate } = engine.redriveExecution(
          requireMember(input, 'executionArn'),
          typeof input.clientToken === 'string' ? input.clientToken : undefined,
        );
        return { redriveDate: epoch(redriveDate) };
      },
      ListExecutions: (input) => {
        checkStateMachine(engine, requireMember(input, 'stateMachineArn'));
        const status = input.statusFilter as ExecutionStatus | undefined;
        if (status !== undefined && !STATUSES.includes(status)) {
          throw new AwsServiceError(
            'ValidationException',
            `1 validation error detected: Value '${String(status)}' at 'statusFilter' failed to satisfy constraint: ` +
              `Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
          );
        }
        const redrive = input.redriveFilter as string | undefined;
        if (redrive !== undefined && redrive !== 'REDRIVEN' && redrive !== 'NOT_REDRIVEN') {
          throw new AwsServiceError(
            'ValidationException',
            `1 validation error detected: Value '${String(redrive)}' at 'redriveFilter' failed to satisfy constraint: ` +
              'Member must satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]',
          );
        }
        const all = engine
          .list(status)
          .filter(
            (record) => redrive === undefined || (redrive === 'REDRIVEN') === (record.redriveCount ?? 0) > 0,
          );
        const page = pageOf(all, input.nextToken, input.maxResults, {
          defaultSize: 100,
          maxSize: 1000,
          scope: `executions:${status ?? ''}:${redrive ?? ''}`,
          invalidToken,
        });
        return { executions: page.items.map(summary), nextToken: page.nextToken };
      },
      GetExecutionHistory: (input) => {
        const arn = requireMember(input, 'executionArn');
        const reverse = input.reverseOrder === true;
        const events = engine.history(arn);
        if (reverse) events.reverse();
        const page = pageOf(events, input.nextToken, input.maxResults, {
          defaultSize: 100,
          maxSize: 1000,
          scope: `history:${arn}:${reverse}`,
          invalidToken,
        });
        const withData = input.includeExecutionData !== false;
        return {
          events: page.items.map((event) => ({
            ...(withData ? event : withoutData(event)),
            timestamp: epoch(event.timestamp),
          })),
          nextToken: page.nextToken,
        };
      },
      SendTaskSuccess: (input) => {
        engine.sendTaskSuccess(requireMember(input, 'taskToken'), input.output);
        return {};
      },
      SendTaskFailure: (input) => {
        engine.sendTaskFailure(requireMember(input, 'taskToken'), input.error, input.cause);
        return {};
      },
      SendTaskHeartbeat: (input) => {
        engine.heartbeat(requireMember(input, 'taskToken'));
        return {};
      },
    },
  });
}
