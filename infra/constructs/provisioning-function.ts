import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Architecture, type CfnFunction, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EnvName } from '../../shared/config';
import type { FunctionName } from '../names';
import { handlerEntry, lambdaBundling, repoRoot } from './bundling';

/** Metadata key on every AWS::Lambda::Function resource: its folder under `functions/` (local mode maps tasks by it). */
export const FUNCTION_METADATA_KEY = 'yay:function';

/** Powertools service name shared by every function, so metric dimensions match the alarms. */
export const SERVICE_NAME = 'yay-provisioning';
/** CloudWatch namespace of the custom metrics (shared/observability.ts reads it from the environment). */
export const METRICS_NAMESPACE = 'YayProvisioning';

/** Where a function's network interfaces go when it must egress from a fixed address. */
export interface FunctionNetwork {
  readonly vpc: IVpc;
  readonly vpcSubnets: SubnetSelection;
  readonly securityGroups: ISecurityGroup[];
}

/** Props of {@link ProvisioningFunction}. */
export interface ProvisioningFunctionProps {
  /** Folder under `functions/`. */
  readonly name: FunctionName;
  /** Environment by {@link EnvName}; Powertools variables are added here. */
  readonly environment: Partial<Record<EnvName, string>>;
  /** False for a tiny inline placeholder (local mode, fast tests): no esbuild at synth. */
  readonly bundle: boolean;
  readonly logRetention: RetentionDays;
  /** @default 30 seconds */
  readonly timeout?: Duration;
  /** @default 512 MB: Lambda's CPU share grows with memory, and cold starts dominate these short calls. */
  readonly memorySize?: number;
  /** Run in these VPC subnets (the static egress IP). @default outside any VPC */
  readonly network?: FunctionNetwork;
}

/**
 * One Lambda per step: arm64, the newest Node.js runtime, X-Ray active, its own log group with a
 * retention, and the Powertools environment. Grants are added by the stack, per function, so each
 * role holds only what its step needs.
 */
export class ProvisioningFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProvisioningFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs are operational, not records of truth (the table is): they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      description: `Yay provisioning: ${props.name}`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      ...(props.network
        ? {
            vpc: props.network.vpc,
            vpcSubnets: props.network.vpcSubnets,
            securityGroups: props.network.securityGroups,
          }
        : {}),
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Resolves stack traces to TypeScript lines; only costs time when an error is formatted.
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...(props.bundle
        ? {
            entry: handlerEntry(props.name),
            handler: 'handler',
            projectRoot: repoRoot,
            depsLockFilePath: join(repoRoot, 'package-lock.json'),
            bundling: lambdaBundling,
          }
        : {
            // Local mode and most tests never deploy this: the handler runs from source there.
            code: Code.fromInline(
              `exports.handler = async () => { throw new Error('${props.name}: synthesized without bundling'); };`,
            ),
            handler: 'index.handler',
          }),
    });
    (this.fn.node.defaultChild as CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.name);

    Validations.of(this.fn).acknowledge(
      {
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]`,
        reason: 'The AWS managed basic execution policy only allows writing this function’s own logs.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      },
    );
    if (props.network) {
      Validations.of(this.fn).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]`,
        reason:
          'The AWS managed VPC access policy holds only the network-interface actions (create, describe, delete, assign addresses) Lambda needs to attach the function to its subnets.',
      });
    }
  }
}
