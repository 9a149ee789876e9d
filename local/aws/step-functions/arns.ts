/** Step Functions' names and ARNs as local mode makes and checks them. */
import { AwsServiceError } from '../aws-json';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/types';

/** What DescribeExecution and the others take for an execution ARN. */
const EXECUTION_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;
/** What StartExecution refuses in a name: white space, brackets, wildcards, special and control characters. */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (name: string) =>
  [...name].some((c) => {
    const code = c.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });

/** The ARN of an execution of the local state machine. */
export function executionArn(stateMachineName: string, name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${stateMachineName}:${name}`;
}

/** StartExecution's name rules: 1 to 80 characters, none of the refused ones (InvalidName otherwise). */
export function assertExecutionName(name: string): void {
  if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name) || isControl(name)) {
    throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
  }
}

/** An execution ARN, or InvalidArn. */
export function assertExecutionArn(arn: unknown): asserts arn is string {
  if (typeof arn !== 'string' || !EXECUTION_ARN.test(arn))
    throw new AwsServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
}
