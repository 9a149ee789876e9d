import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { EmailTemplateParts } from '../../../infra/email-templates';
import { assertSupportedPattern, type EventPattern } from '../event-bus/pattern';
import { Resolver } from './resolver';
import {
  type CfnResource,
  type CfnTemplate,
  functionNameFromArn,
  type Json,
  LOCAL_ACCOUNT,
  type LocalArchive,
  type LocalFunction,
  type LocalFunctionTarget,
  type LocalLogGroupTarget,
  type LocalRule,
  type LocalRuleTarget,
  type LocalSchedule,
  type LocalSecretMetadata,
  type LocalStateMachineConfig,
  type LocalTemplate,
} from './types';

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
