/**
 * The log lines AWS writes that local mode does not, modelled in bytes for the cost benchmark: Step Functions'
 * records per history event, one API Gateway access-log line per request, Lambda's START/END/REPORT per invocation.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowEvent } from '../../local/aws/step-functions/engine';
import { billedMs, utf8Bytes } from './cost-model';
import { PriceTable } from './prices-eu-west-2';

/** Step Functions' CloudWatch log records for one timeline step (level ALL, includeExecutionData false). */
export function sfnLogRecords(event: WorkflowEvent): number {
  const arn = `arn:aws:states:${PriceTable.region}:123456789012:execution:CustomerProvisioning:${event.executionName}`;
  const record = (type: string, details: Record<string, unknown>) =>
    utf8Bytes(
      JSON.stringify({
        id: '17',
        type,
        details,
        previous_event_id: '16',
        event_timestamp: String(event.timestamp),
        execution_arn: arn,
        redrive_count: '0',
      }),
    ) + 27; // + CloudWatch's 26 bytes of metadata per event and the newline
  const lambda = { resource: 'invoke', resourceType: 'lambda' };
  const state = event.state ?? '';
  const type = event.stateType ?? 'Task';
  switch (event.type) {
    case 'ExecutionStarted':
      return record('ExecutionStarted', {
        roleArn:
          'arn:aws:iam::123456789012:role/YayProvisioning-WorkflowStateMachineRoleXXXXXXXX-XXXXXXXXXXXX',
        inputDetails: { truncated: false },
      });
    case 'StateEntered':
      return (
        record(`${type}StateEntered`, { name: state, inputDetails: { truncated: false } }) +
        (type === 'Task'
          ? record('TaskScheduled', { ...lambda, region: PriceTable.region }) + record('TaskStarted', lambda)
          : 0)
      );
    case 'StateExited':
      return (
        (type === 'Task' ? record('TaskSucceeded', { ...lambda, outputDetails: { truncated: false } }) : 0) +
        record(`${type}StateExited`, { name: state, outputDetails: { truncated: false } })
      );
    case 'StateRetried':
      return (
        record('TaskFailed', { ...lambda, error: event.error ?? 'Error' }) +
        record('TaskScheduled', { ...lambda, region: PriceTable.region }) +
        record('TaskStarted', lambda)
      );
    case 'StateFailed':
    case 'StateCaught':
      return record('TaskFailed', { ...lambda, error: event.error ?? 'Error' });
    default:
      return record(`Execution${event.type.charAt(0)}${event.type.slice(1).toLowerCase()}`, {
        outputDetails: { truncated: false },
      });
  }
}

/** One API Gateway access-log line (the stage's format, `$context` variables given typical values). */
export function accessLogLineBytes(format: string, status: number, responseLength: number): number {
  const values: Record<string, string> = {
    requestId: 'JkXvQjZ1LPEEMBw=',
    identitySourceIp: '203.0.113.27',
    'identity.sourceIp': '203.0.113.27',
    'identity.caller': '-',
    'identity.user': '-',
    requestTime: '01/Dec/2026:10:15:42 +0000',
    httpMethod: 'POST',
    resourcePath: '/webhooks/stripe',
    routeKey: 'POST /webhooks/stripe',
    status: String(status),
    protocol: 'HTTP/1.1',
    responseLength: String(responseLength),
  };
  const line = format.replace(/\$context\.([A-Za-z.]+)/g, (_, name: string) => values[name] ?? '-');
  return utf8Bytes(line) + 27;
}

/** Lambda's START, END and REPORT lines of one invocation (text format, X-Ray active). */
export function platformLogBytes(ms: number, memoryMb: number, initMs?: number): number {
  const id = randomUUID();
  return (
    utf8Bytes(`START RequestId: ${id} Version: $LATEST\n`) +
    utf8Bytes(`END RequestId: ${id}\n`) +
    utf8Bytes(
      `REPORT RequestId: ${id}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${billedMs(ms)} ms\t` +
        `Memory Size: ${memoryMb} MB\tMax Memory Used: 96 MB\t${initMs ? `Init Duration: ${initMs.toFixed(2)} ms\t` : ''}\n` +
        'XRAY TraceId: 1-674c3f2e-3c1a2b4d5e6f708192a3b4c5\tSegmentId: 1a2b3c4d5e6f7081\tSampled: true\t\n',
    ) +
    3 * 26
  );
}
