import { Arn, ArnFormat, type Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { TableSchema } from '../../shared/store/schema';
import type { ProvisioningFunction } from '../constructs/provisioning-function';
import { type FunctionName, FunctionNames, STATE_MACHINE_NAME } from '../names';
import type { StatefulResources } from './provisioning-stack';

/**
 * The item calls the workflow makes, and no more: every other data-plane action (BatchGetItem, BatchWriteItem,
 * ConditionCheckItem, DescribeTable, Scan) is the operator's, through the ops CLI and the console on the operator's
 * own credentials. Local mode enforces these lists on every call (local/README.md), so the e2e suites and the
 * soak prove them enough.
 */
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query'];
/** Item writes; a transaction would be authorized by these per item. */
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
/** Daily reconciliation reads every buyer → customer mapping, a scan of the table once a day. */
const TABLE_SCAN = ['dynamodb:Scan'];

/**
 * The functions that put events on the provisioning bus: intake (order facts), the outcome publishers, and the
 * sweep (`Order Needs Attention` for an order it leaves to a person).
 */
export const OUTBOUND_PUBLISHERS: readonly FunctionName[] = [
  'webhook-intake',
  'dispatch',
  'record-customer',
  'record-outcome',
  'sweep',
];

/**
 * The functions whose use cases query the sparse open-orders index: the sweep (open orders, unsettled transfers),
 * notify (the e-mails not yet sent, for the retry).
 */
const INDEX_READERS: readonly FunctionName[] = ['sweep', 'notify'];

/**
 * The functions that build a Yay client (`yayFromEnv` in their handler): they read the Yay secret and,
 * with a static egress IP, run in the VPC behind its NAT gateway.
 */
export const YAY_CALLERS: readonly FunctionName[] = [
  'create-customer',
  'transfer-credit',
  'reconcile-transfer',
  'sweep',
  'daily-reconciliation',
];

/** Each function's table, index, secret and bus grants: least privilege, one line per need. */
export function grantDataAndSecrets(
  fn: (name: FunctionName) => IFunction,
  { table, bus, yaySecret, webhookSecret, namingKeySecret, passwordKeySecret }: StatefulResources,
): void {
  // Least privilege, one line per need. Only intake publishes to the bus (dispatch only consumes it).
  // Intake never touches the table; only the index readers query the open-orders
  // index (written by hand rather than grantReadWriteData, whose `index/*` would cover every index).
  for (const name of FunctionNames) {
    if (name === 'webhook-intake') continue;
    const actions =
      name === 'daily-reconciliation' ? [...TABLE_READ, ...TABLE_SCAN] : [...TABLE_READ, ...TABLE_WRITE];
    fn(name).addToRolePolicy(new PolicyStatement({ actions, resources: [table.tableArn] }));
  }
  for (const name of INDEX_READERS) {
    fn(name).addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${TableSchema.openOrdersIndex.name}`],
      }),
    );
  }
  // Transfer-credit checks the customer has no unreconciled transfer before crediting it.
  fn('transfer-credit').addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${table.tableArn}/index/${TableSchema.customerTransfersIndex.name}`],
    }),
  );
  // The sweep walks the orders that may still owe credit, so nothing owed is forgotten.
  fn('sweep').addToRolePolicy(
    new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: [`${table.tableArn}/index/${TableSchema.owedIndex.name}`],
    }),
  );
  for (const name of YAY_CALLERS) yaySecret.grantRead(fn(name));
  namingKeySecret.grantRead(fn('create-customer'));
  passwordKeySecret.grantRead(fn('create-customer'));
  passwordKeySecret.grantRead(fn('notify'));
  webhookSecret.grantRead(fn('webhook-intake'));
  // Intake publishes order facts; these publish outcomes (a rule matches each on its source).
  for (const name of OUTBOUND_PUBLISHERS) bus.grantPutEventsTo(fn(name));
}

/**
 * The Step Functions grants: await-payment answers its own task; dispatch and the sweep start, resume and describe
 * executions. Each also gets the state machine's ARN.
 */
export function grantExecutionControl(
  stack: Stack,
  functions: Readonly<Record<FunctionName, ProvisioningFunction>>,
  stateMachine: StateMachine,
): void {
  const fn = (name: FunctionName): IFunction => functions[name].fn;
  // The name is fixed, so the ARN can be written without a reference: await-payment sits inside the state
  // machine, and a reference from its role back to the state machine would be a dependency cycle.
  const stateMachineArn = Arn.format(
    {
      service: 'states',
      resource: 'stateMachine',
      resourceName: STATE_MACHINE_NAME,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    stack,
  );
  const executionsArn = Arn.format(
    {
      service: 'states',
      resource: 'execution',
      resourceName: `${STATE_MACHINE_NAME}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    stack,
  );
  const taskResponse = new PolicyStatement({
    actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    resources: [stateMachineArn],
  });
  fn('await-payment').addToRolePolicy(taskResponse);
  // Its workflow adapter needs the ARN at init (it resumes at once when the order is already paid).
  functions['await-payment'].fn.addEnvironment('STATE_MACHINE_ARN', stateMachineArn);
  for (const name of ['dispatch', 'sweep'] as const) {
    functions[name].fn.addEnvironment('STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(fn(name));
    fn(name).addToRolePolicy(taskResponse);
    fn(name).addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionsArn] }),
    );
    Validations.of(functions[name].fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${STATE_MACHINE_NAME}:*]`,
      reason:
        'Executions are named per order at run time; the grant is limited to this state machine’s executions.',
    });
  }
}
