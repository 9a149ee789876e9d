/**
 * What local mode reads of the synthesized template (see extract.ts), and the names it gives what AWS would name:
 * one region, one account, one ARN per function.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { EmailTemplateParts } from '../../../infra/email-templates';
import type { EventPattern } from '../event-bus/pattern';

/** Where local mode pretends to be: every ARN it makes up uses these. */
export const LOCAL_REGION = 'eu-west-2';
export const LOCAL_ACCOUNT = '000000000000';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface CfnResource {
  Type: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
/** The part of a synthesized CloudFormation template local mode reads. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}

/** One Lambda function of the template, by its folder name. */
export interface LocalFunction {
  readonly name: string;
  readonly logicalId: string;
  readonly timeoutSeconds: number;
  /** Environment values that are plain strings in the template (references are set by local mode). */
  readonly environment: Readonly<Record<string, string>>;
}

/** A rule target that invokes a function of the template with the matched event, or `input`, or `inputPath` of it. */
export interface LocalFunctionTarget {
  readonly functionName: string;
  readonly input?: Json;
  readonly inputPath?: string;
}

/** A rule target that is a CloudWatch Logs log group: EventBridge writes each matched event to it, whole, as JSON. */
export interface LocalLogGroupTarget {
  readonly kind: 'logGroup';
  readonly logGroupName: string;
}

/** Any target a rule of the template may have. */
export type LocalTarget = LocalFunctionTarget | LocalLogGroupTarget;

/** A rule's target as EventBridge's ListTargetsByRule answers it, resolved to local ARNs. */
export interface LocalRuleTarget {
  readonly Id: string;
  readonly Arn: string;
  readonly Input?: string;
  readonly InputPath?: string;
  readonly RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  readonly DeadLetterConfig?: { Arn: string };
}

/**
 * A bus rule. `bus` is `default` or `provisioning` (the project's own bus). Its function targets and its log-group
 * targets are kept apart, so a bus that only invokes functions reads `targets` and can never mistake a log group
 * for a function.
 */
export interface LocalRule {
  readonly id: string;
  readonly bus: 'default' | 'provisioning';
  readonly pattern: EventPattern;
  /** The functions it invokes, in the template's order. */
  readonly targets: readonly LocalFunctionTarget[];
  /** The log groups it writes the matched event to, in the template's order. @default none */
  readonly logGroupTargets?: readonly LocalLogGroupTarget[];
  /** Its name (the template's `Name`, else its logical id), as ListRules and DescribeRule show it. @default id */
  readonly name?: string;
  readonly description?: string;
  /** @default 'ENABLED' */
  readonly state?: string;
  /** Every target as ListTargetsByRule shows it (functions and log groups), in the template's order. */
  readonly apiTargets?: readonly LocalRuleTarget[];
}

/** An EventBridge archive of the templates (`AWS::Events::Archive`): what it keeps, of which bus, for how long. */
export interface LocalArchive {
  /** The template's `ArchiveName`, else its logical id. */
  readonly name: string;
  readonly bus: 'default' | 'provisioning';
  /** Absent: every event of the bus. */
  readonly pattern?: EventPattern;
  /** Absent or 0: kept for ever. */
  readonly retentionDays?: number;
  readonly description?: string;
}

/** A secret's description and tags in the template (its value is never in a template local mode reads). */
export interface LocalSecretMetadata {
  readonly description?: string;
  readonly tags: ReadonlyArray<{ Key: string; Value: string }>;
}

/** What DescribeStateMachine says of the state machine beside its definition, from its template resource. */
export interface LocalStateMachineConfig {
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn: string;
  readonly logging?: {
    readonly level: string;
    readonly includeExecutionData: boolean;
    readonly logGroupArns: readonly string[];
  };
  readonly tracingEnabled: boolean;
}

/** A schedule that invokes a function: `rate(…)` or `cron(…)`. */
export interface LocalSchedule {
  readonly id: string;
  readonly expression: string;
  readonly functionName: string;
  readonly input?: Json;
}

/** Everything local mode runs, as the provisioning template says it. */
export interface LocalTemplate {
  readonly stateMachineName: string;
  readonly definition: StateMachineDefinition;
  /** Its role, type, logging and tracing. @default a STANDARD machine with no logging or tracing */
  readonly stateMachine?: LocalStateMachineConfig;
  /** The bus archives of all the templates (the stateful one keeps the provisioning bus's). @default none */
  readonly archives?: readonly LocalArchive[];
  /** The project's bus's description (`AWS::Events::EventBus`, in the stateful template). @default none */
  readonly eventBusDescription?: string;
  /**
   * The secrets the functions are told about, by the environment variable naming them (`YAY_SECRET_ARN`, …): what
   * DescribeSecret shows of the template's `AWS::SecretsManager::Secret` behind it. Never a value. @default none
   */
  readonly secrets?: Readonly<Record<string, LocalSecretMetadata>>;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly rules: readonly LocalRule[];
  readonly schedules: readonly LocalSchedule[];
  /** SES template name → its parts (the `AWS::SES::Template` resources); empty while e-mail is off. */
  readonly emailTemplates: ReadonlyMap<string, EmailTemplateParts>;
  /** The SES configuration set the e-mails are sent with (`ses:configuration-set` of their events); undefined while off. */
  readonly emailConfigurationSet?: string;
  /**
   * The synthesized templates this was read from: the provisioning one first, then those whose exports it imports.
   * Local mode reads the functions' roles from them (`readLocalRoles`).
   */
  readonly templates: readonly CfnTemplate[];
}

/** The local ARN of a function, as the rewritten definition and the stand-ins name it. */
export function localFunctionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
}

/** The function folder name from a local function ARN or a bare name; undefined for anything else. */
export function functionNameFromArn(arnOrName: string): string | undefined {
  const match = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::.*)?$/.exec(arnOrName);
  if (match) return match[1];
  return /^[A-Za-z0-9-_]+$/.test(arnOrName) ? arnOrName : undefined;
}
