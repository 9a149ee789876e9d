import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { FUNCTION_METADATA_KEY } from '../../../infra/constructs/provisioning-function';
import type { EmailTemplateParts } from '../../../infra/email-templates';
import { assertSupportedPattern, type EventPattern } from '../event-bus/pattern';

/** Where local mode pretends to be: every ARN it makes up uses these. */
export const LOCAL_REGION = 'eu-west-2';
export const LOCAL_ACCOUNT = '000000000000';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface CfnResource {
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

/** Resource types whose `Ref` is the name the template gives them (the property that holds it). */
const NAMED_BY_REF: Readonly<Record<string, string>> = {
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SES::ConfigurationSet': 'Name',
};

class Resolver {
  private readonly functionsById: Map<string, string>;
  private readonly exports: Map<string, Json>;

  constructor(
    private readonly template: CfnTemplate,
    others: readonly CfnTemplate[],
  ) {
    this.functionsById = new Map();
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const name = resource.Metadata?.[FUNCTION_METADATA_KEY];
      if (resource.Type === 'AWS::Lambda::Function' && typeof name === 'string')
        this.functionsById.set(id, name);
    }
    this.exports = new Map();
    for (const other of others) {
      for (const output of Object.values(other.Outputs ?? {})) {
        const exportName = output.Export?.Name;
        if (typeof exportName === 'string') this.exports.set(exportName, output.Value);
      }
    }
  }

  functionName(logicalId: string): string | undefined {
    return this.functionsById.get(logicalId);
  }

  private pseudo(name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return 'local';
      default:
        return undefined;
    }
  }

  private ref(id: string): string {
    const pseudo = this.pseudo(id);
    if (pseudo !== undefined) return pseudo;
    const fn = this.functionsById.get(id);
    if (fn) return fn;
    const resource = this.template.Resources?.[id];
    const named = resource && NAMED_BY_REF[resource.Type];
    const name = named ? resource.Properties?.[named] : undefined;
    if (typeof name === 'string') return name;
    return `local-${id}`;
  }

  private getAtt(id: string, attribute: string): string {
    const fn = this.functionsById.get(id);
    if (fn && attribute === 'Arn') return localFunctionArn(fn);
    return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}/${attribute}`;
  }

  /**
   * The ARN AWS would give a resource of the template (`Fn::GetAtt [id, Arn]`), named by its name property or its
   * logical id, for what the stand-ins show an operator: roles, log groups, queues. Undefined for another value.
   */
  arnOf(value: Json): string | undefined {
    const getAtt =
      value !== null && typeof value === 'object' && !Array.isArray(value) ? value['Fn::GetAtt'] : undefined;
    const [id, attribute] = Array.isArray(getAtt) ? getAtt.map(String) : [];
    const resource = id ? this.template.Resources?.[id] : undefined;
    if (!id || attribute !== 'Arn' || !resource) return undefined;
    const named = (key: string) => {
      const name = resource.Properties?.[key];
      return typeof name === 'string' ? name : id;
    };
    switch (resource.Type) {
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${named('RoleName')}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${named('LogGroupName')}:*`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${named('QueueName')}`;
      default:
        return undefined;
    }
  }

  /**
   * The resource a function's environment value refers to: `Ref` of one of this template's, or `Fn::ImportValue` of
   * an export of another template whose value is a `Ref`.
   */
  referenced(value: Json, templates: readonly CfnTemplate[]): CfnResource | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (typeof value.Ref === 'string') return this.template.Resources?.[value.Ref];
    const imported = value['Fn::ImportValue'];
    if (imported === undefined) return undefined;
    const exported = this.exports.get(String(this.resolve(imported)));
    const id =
      exported !== null && typeof exported === 'object' && !Array.isArray(exported)
        ? exported.Ref
        : undefined;
    if (typeof id !== 'string') return undefined;
    return templates.map((template) => template.Resources?.[id]).find((resource) => resource !== undefined);
  }

  /** Resolves the intrinsics CDK emits (Ref, GetAtt, Join, Sub, ImportValue, Select, Split) to plain JSON. */
  resolve(value: Json): Json {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0] as string;
      const arg = value[key] as Json;
      switch (key) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
          return this.getAtt(String(id), String(attribute));
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, Json[]];
          return (this.resolve(parts) as Json[]).map(String).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          return (this.resolve(list) as Json[])[Number(this.resolve(index))] ?? null;
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, Json];
          return String(this.resolve(text)).split(separator);
        }
        case 'Fn::ImportValue': {
          const name = String(this.resolve(arg));
          const exported = this.exports.get(name);
          return exported === undefined ? `import-${name}` : this.resolve(exported);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg)
            ? (arg as [string, Record<string, Json>])
            : [String(arg), {}];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (vars && name in vars) return String(this.resolve(vars[name] as Json));
            const [id, attribute] = name.split('.');
            return attribute ? this.getAtt(String(id), attribute) : this.ref(String(id));
          });
        }
        default:
          break;
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }

  get resources(): Array<[string, CfnResource]> {
    return Object.entries(this.template.Resources ?? {});
  }
}

/** The log group name of a log group ARN (`arn:aws:logs:…:log-group:<name>`, with or without `:*`). */
function logGroupNameFromArn(arn: Json): string | undefined {
  const match =
    typeof arn === 'string' ? /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/.exec(arn) : null;
  return match?.[1];
}

function targetFunction(arn: Json, where: string): string {
  const name = typeof arn === 'string' ? functionNameFromArn(arn) : undefined;
  if (!name)
    throw new Error(`${where} targets ${JSON.stringify(arn)}, which is not a function of the template`);
  return name;
}

/**
 * Reads what local mode runs from the synthesized provisioning template (and the stateful one, for the
 * values it exports): the state machine definition with every Lambda ARN resolved to a local function
 * ARN named after the function's `yay:function` metadata, the bus rules (function and log-group targets), the
 * schedules, and with e-mail on the SES templates and configuration set.
 */
export function extractLocalTemplate(
  provisioning: CfnTemplate,
  others: readonly CfnTemplate[] = [],
): LocalTemplate {
  const resolver = new Resolver(provisioning, others);
  const functions = new Map<string, LocalFunction>();
  let definition: StateMachineDefinition | undefined;
  let stateMachineName = 'CustomerProvisioning';
  let stateMachine: LocalStateMachineConfig | undefined;
  const rules: LocalRule[] = [];
  const schedules: LocalSchedule[] = [];
  const emailTemplates = new Map<string, EmailTemplateParts>();
  let emailConfigurationSet: string | undefined;
  const secrets: Record<string, LocalSecretMetadata> = {};

  for (const [id, resource] of resolver.resources) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::Lambda::Function') {
      const name = resolver.functionName(id);
      if (!name) continue;
      const variables = ((props.Environment as Record<string, Json> | undefined)?.Variables ?? {}) as Record<
        string,
        Json
      >;
      const environment: Record<string, string> = {};
      for (const [key, raw] of Object.entries(variables)) {
        if (typeof raw === 'string') environment[key] = raw;
        const secret = resolver.referenced(raw, others);
        if (secret?.Type === 'AWS::SecretsManager::Secret') secrets[key] = secretMetadata(secret);
      }
      functions.set(name, {
        name,
        logicalId: id,
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
        environment,
      });
    } else if (resource.Type === 'AWS::StepFunctions::StateMachine') {
      if (definition) throw new Error('the provisioning template has more than one state machine');
      const raw = props.DefinitionString ?? props.Definition;
      const resolved = resolver.resolve(raw as Json);
      definition = (typeof resolved === 'string'
        ? JSON.parse(resolved)
        : resolved) as unknown as StateMachineDefinition;
      if (typeof props.StateMachineName === 'string') stateMachineName = props.StateMachineName;
      stateMachine = stateMachineConfig(resolver, id, props);
    } else if (resource.Type === 'AWS::Events::Rule') {
      const logGroupTargets: LocalLogGroupTarget[] = [];
      const targets: LocalFunctionTarget[] = [];
      const apiTargets: LocalRuleTarget[] = [];
      for (const target of (props.Targets ?? []) as Array<Record<string, Json>>) {
        if (target.InputTransformer) throw new Error(`rule ${id}: InputTransformer is not supported locally`);
        const arn = resolver.resolve(target.Arn as Json);
        apiTargets.push(ruleTarget(resolver, target, arn));
        const logGroupName = logGroupNameFromArn(arn);
        if (logGroupName !== undefined) {
          if (target.Input !== undefined || target.InputPath !== undefined) {
            throw new Error(`rule ${id}: a log group target takes the whole event, not Input or InputPath`);
          }
          logGroupTargets.push({ kind: 'logGroup', logGroupName });
          continue;
        }
        targets.push({
          functionName: targetFunction(arn, `rule ${id}`),
          ...(target.Input !== undefined
            ? { input: JSON.parse(String(resolver.resolve(target.Input))) as Json }
            : {}),
          ...(typeof target.InputPath === 'string' ? { inputPath: target.InputPath } : {}),
        });
      }
      if (typeof props.ScheduleExpression === 'string') {
        if (logGroupTargets.length > 0)
          throw new Error(`rule ${id}: a schedule writing to a log group is not supported locally`);
        for (const target of targets) {
          schedules.push({
            id,
            expression: props.ScheduleExpression,
            functionName: target.functionName,
            ...(target.input !== undefined ? { input: target.input } : {}),
          });
        }
        continue;
      }
      const pattern = resolver.resolve(props.EventPattern as Json) as EventPattern;
      assertSupportedPattern(pattern);
      const busName =
        props.EventBusName === undefined ? 'default' : resolver.resolve(props.EventBusName as Json);
      rules.push({
        id,
        bus: busName === 'default' ? 'default' : 'provisioning',
        pattern,
        targets,
        ...(logGroupTargets.length > 0 ? { logGroupTargets } : {}),
        name: typeof props.Name === 'string' ? props.Name : id,
        ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
        state: typeof props.State === 'string' ? props.State : 'ENABLED',
        apiTargets,
      });
    } else if (resource.Type === 'AWS::Scheduler::Schedule') {
      const target = props.Target as Record<string, Json>;
      schedules.push({
        id,
        expression: String(props.ScheduleExpression),
        functionName: targetFunction(resolver.resolve(target.Arn as Json), `schedule ${id}`),
        ...(target.Input !== undefined
          ? { input: JSON.parse(String(resolver.resolve(target.Input))) as Json }
          : {}),
      });
    } else if (resource.Type === 'AWS::SES::Template') {
      const template = resolver.resolve((props.Template ?? {}) as Json) as Record<string, Json>;
      // notify names its templates (EMAIL_TEMPLATES): one CloudFormation would name at deploy could never be found.
      if (typeof template.TemplateName !== 'string')
        throw new Error(`SES template ${id} has no TemplateName`);
      emailTemplates.set(template.TemplateName, {
        subject: String(template.SubjectPart ?? ''),
        text: String(template.TextPart ?? ''),
        html: String(template.HtmlPart ?? ''),
      });
    } else if (resource.Type === 'AWS::SES::ConfigurationSet') {
      if (typeof props.Name === 'string') emailConfigurationSet = props.Name;
    } else if (resource.Type === 'AWS::SES::ConfigurationSetEventDestination') {
      // Also names an imported configuration set (provisioning:emailConfigurationSet), which has no resource here.
      emailConfigurationSet ??= String(resolver.resolve(props.ConfigurationSetName as Json));
    }
  }
  if (!definition) throw new Error('the provisioning template has no AWS::StepFunctions::StateMachine');
  return {
    stateMachineName,
    definition,
    ...(stateMachine ? { stateMachine } : {}),
    archives: [provisioning, ...others].flatMap((template) => archivesOf(template, others)),
    ...busDescription([provisioning, ...others]),
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
    functions,
    rules,
    schedules,
    emailTemplates,
    templates: [provisioning, ...others],
    ...(emailConfigurationSet !== undefined ? { emailConfigurationSet } : {}),
  };
}

/** What DescribeSecret shows of a secret of the template: its description and tags, never a value. */
function secretMetadata(secret: CfnResource): LocalSecretMetadata {
  const description = secret.Properties?.Description;
  const tags = (secret.Properties?.Tags ?? []) as Array<{ Key?: Json; Value?: Json }>;
  return {
    ...(typeof description === 'string' ? { description } : {}),
    tags: tags.flatMap((tag) =>
      typeof tag.Key === 'string' && typeof tag.Value === 'string'
        ? [{ Key: tag.Key, Value: tag.Value }]
        : [],
    ),
  };
}

/** The description of the templates' event bus, when one has it. */
function busDescription(templates: readonly CfnTemplate[]): { eventBusDescription?: string } {
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const description = resource.Properties?.Description;
      if (resource.Type === 'AWS::Events::EventBus' && typeof description === 'string')
        return { eventBusDescription: description };
    }
  }
  return {};
}

/** DescribeStateMachine's role, type, logging and tracing, from the state machine's template resource. */
function stateMachineConfig(
  resolver: Resolver,
  id: string,
  props: Record<string, Json>,
): LocalStateMachineConfig {
  const logging = props.LoggingConfiguration as Record<string, Json> | undefined;
  const destinations = (logging?.Destinations ?? []) as Array<Record<string, Record<string, Json>>>;
  const tracing = props.TracingConfiguration as Record<string, Json> | undefined;
  return {
    type: props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
    roleArn: resolver.arnOf(props.RoleArn as Json) ?? `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}Role`,
    ...(logging
      ? {
          logging: {
            level: String(logging.Level ?? 'OFF'),
            includeExecutionData: logging.IncludeExecutionData === true,
            logGroupArns: destinations.flatMap((destination) => {
              const arn = resolver.arnOf(destination.CloudWatchLogsLogGroup?.LogGroupArn as Json);
              return arn ? [arn] : [];
            }),
          },
        }
      : {}),
    tracingEnabled: tracing?.Enabled === true,
  };
}

/** One target of a rule as ListTargetsByRule shows it. */
function ruleTarget(resolver: Resolver, target: Record<string, Json>, arn: Json): LocalRuleTarget {
  const retry = target.RetryPolicy as Record<string, Json> | undefined;
  const deadLetter = resolver.arnOf(
    (target.DeadLetterConfig as Record<string, Json> | undefined)?.Arn as Json,
  );
  const input = target.Input === undefined ? undefined : resolver.resolve(target.Input as Json);
  return {
    Id: String(target.Id),
    Arn: String(arn),
    ...(input !== undefined ? { Input: typeof input === 'string' ? input : JSON.stringify(input) } : {}),
    ...(typeof target.InputPath === 'string' ? { InputPath: target.InputPath } : {}),
    ...(retry
      ? {
          RetryPolicy: {
            ...(typeof retry.MaximumRetryAttempts === 'number'
              ? { MaximumRetryAttempts: retry.MaximumRetryAttempts }
              : {}),
            ...(typeof retry.MaximumEventAgeInSeconds === 'number'
              ? { MaximumEventAgeInSeconds: retry.MaximumEventAgeInSeconds }
              : {}),
          },
        }
      : {}),
    ...(deadLetter ? { DeadLetterConfig: { Arn: deadLetter } } : {}),
  };
}

/**
 * The archives of one template: of the default bus when its source names it, else of the project's bus (the stateful
 * stack's own, the provisioning bus locally).
 */
function archivesOf(template: CfnTemplate, others: readonly CfnTemplate[]): LocalArchive[] {
  const resolver = new Resolver(template, others);
  return resolver.resources.flatMap(([id, resource]): LocalArchive[] => {
    if (resource.Type !== 'AWS::Events::Archive') return [];
    const props = resource.Properties ?? {};
    const pattern =
      props.EventPattern === undefined ? undefined : (resolver.resolve(props.EventPattern) as EventPattern);
    if (pattern) assertSupportedPattern(pattern);
    return [
      {
        name: typeof props.ArchiveName === 'string' ? props.ArchiveName : id,
        bus: String(resolver.resolve(props.SourceArn as Json)).endsWith(':event-bus/default')
          ? 'default'
          : 'provisioning',
        ...(pattern ? { pattern } : {}),
        ...(typeof props.RetentionDays === 'number' ? { retentionDays: props.RetentionDays } : {}),
        ...(typeof props.Description === 'string' ? { description: props.Description } : {}),
      },
    ];
  });
}

/**
 * Synthesizes the CDK app in-process without bundling (the handlers run from source here) into a
 * temporary folder that is removed before returning, and extracts the local template. `context` goes on top
 * of cdk.json's and wins over everything else (local mode merges its layers first: `localSynthContext`).
 */
export async function synthesizeLocalTemplate(
  context?: Record<string, unknown>,
  options: {
    /** Test-only: edits the synthesized provisioning template before it is read (a test removes one grant). */
    readonly amend?: (provisioning: CfnTemplate) => void;
  } = {},
): Promise<LocalTemplate> {
  process.env.CDK_DISABLE_CLI_TELEMETRY = 'true';
  const outdir = mkdtempSync(join(tmpdir(), 'yay-local-synth-'));
  try {
    const { buildApp } = await import('../../../infra/app-factory');
    const built = buildApp({ bundle: false, outdir, ...(context ? { finalContext: context } : {}) });
    const assembly = built.app.synth();
    const provisioning = assembly.getStackArtifact(built.provisioning.artifactId).template as CfnTemplate;
    const stateful = assembly.getStackArtifact(built.stateful.artifactId).template as CfnTemplate;
    options.amend?.(provisioning);
    return extractLocalTemplate(provisioning, [stateful]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
