import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus, WorkflowControl } from './ports';

/** Errors that mean a task can no longer be resumed: already closed, timed out, or a token that expired. */
const CLOSED_TASK_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/**
 * {@link WorkflowControl} over the Step Functions API. The client honours `AWS_ENDPOINT_URL_SFN`, so local
 * mode points it at its stand-in without a code path of its own. Errors other than the documented "already"
 * cases propagate: a failed resume must never be swallowed (the caller's retry, or the sweep, repeats it).
 */
export function sfnWorkflowControl(client: SFNClient, stateMachineArn: string): WorkflowControl {
  // arn:aws:states:region:account:stateMachine:Name → arn:aws:states:region:account:execution:Name:<exec>
  const executionPrefix = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  const executionArn = (name: string) => `${executionPrefix}${name}`;
  return {
    executionArn,
    async start(name, input) {
      try {
        const out = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return { executionArn: out.executionArn ?? executionArn(name), alreadyExists: false };
      } catch (error) {
        if (errorName(error) === 'ExecutionAlreadyExists') {
          return { executionArn: executionArn(name), alreadyExists: true };
        }
        throw error;
      }
    },
    async resume(taskToken, output) {
      try {
        await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
        return { resumed: true };
      } catch (error) {
        const name = errorName(error);
        if (name && CLOSED_TASK_ERRORS.has(name)) return { resumed: false, reason: name };
        throw error;
      }
    },
    async fail(taskToken, error, cause) {
      try {
        await client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
        return { resumed: true };
      } catch (caught) {
        const name = errorName(caught);
        if (name && CLOSED_TASK_ERRORS.has(name)) return { resumed: false, reason: name };
        throw caught;
      }
    },
    async status(arn) {
      try {
        const out = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
        return out.status as ExecutionStatus | undefined;
      } catch (error) {
        if (errorName(error) === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
  };
}
