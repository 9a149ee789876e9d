/**
 * The functions' IAM roles as the synthesized templates give them: for every function of the provisioning template
 * (its `yay:function` metadata), the statements of its role — inline `Policies`, the `AWS::IAM::Policy` and
 * `AWS::IAM::ManagedPolicy` resources attached to it, and the AWS managed policies it names — with every
 * CloudFormation reference resolved to the resource local mode stands in for it. Anything that cannot be read or
 * resolved faithfully throws a {@link PolicyShapeError} naming it: the start fails rather than guessing.
 */
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/provisioning-function';
import { type CfnTemplate, LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn } from '../aws/template/types';
import { PolicyShapeError, readPolicyDocument, type Statement } from './policy';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> }
>;

/** One function's role, ready to evaluate. */
export interface LocalRole {
  readonly functionName: string;
  /** The role's logical id in the provisioning template. */
  readonly logicalId: string;
  /** `RoleName` when the template sets one, else the logical id (CloudFormation would add a suffix). */
  readonly roleName: string;
  readonly roleArn: string;
  /** The principal a call is made as: Lambda names the session after the function. */
  readonly sessionArn: string;
  readonly statements: readonly Statement[];
}

/** Resources no local stand-in serves resolve to this prefix: they can only fail to match, never match by chance. */
const UNRESOLVED_PREFIX = `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:unresolved/`;

/**
 * The AWS managed policies the template may attach, as AWS publishes them (only their actions on `*`; local mode
 * enforces none of these services, but a role is read whole). Any other managed policy fails the start.
 */
const AWS_MANAGED_POLICIES: Readonly<Record<string, Json>> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
  'service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

const ROLE_PROPERTIES = new Set([
  'AssumeRolePolicyDocument',
  'ManagedPolicyArns',
  'Policies',
  'Description',
  'Path',
  'RoleName',
  'MaxSessionDuration',
  'Tags',
]);

/** Where a reference points: a resource of one of the templates (`<template index>/<logical id>`), or a literal. */
type Referent = { readonly key: string } | { readonly literal: string };

/** The local ARN of a resource named `name` whose template type is `type`, when local mode knows the format. */
function localArnOf(type: string, name: string): string | undefined {
  switch (type) {
    case 'AWS::DynamoDB::GlobalTable':
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;
    default:
      return undefined;
  }
}

/**
 * Resolves the intrinsics of policy documents across the provisioning template (index 0) and the templates whose
 * exports it imports. A reference to a resource local mode replaces (a table, bus, secret or state machine the
 * handlers are told about through their environment) resolves to the local one; one to a resource local mode does
 * not serve resolves to an unresolved placeholder; anything unknown throws.
 */
class PolicyResolver {
  private readonly exports = new Map<string, { template: number; value: Json }>();
  /** `<template>/<logical id>` (a Ref) → the local value local mode gives the handlers for it. */
  private readonly aliases = new Map<string, string>();
  /** Literal template values (imported resources given by ARN) → the local value. */
  private readonly literals = new Map<string, string>();

  constructor(
    private readonly templates: readonly CfnTemplate[],
    references: Readonly<Record<string, string>>,
  ) {
    templates.forEach((template, index) => {
      for (const output of Object.values(template.Outputs ?? {})) {
        const name = output.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { template: index, value: output.Value });
      }
    });
    // What a function's environment names through a variable local mode overrides is that local resource.
    for (const resource of Object.values(this.resources(0))) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const variables = ((resource.Properties?.Environment as Record<string, Json> | undefined)?.Variables ??
        {}) as Record<string, Json>;
      for (const [name, raw] of Object.entries(variables)) {
        const local = references[name];
        if (local === undefined) continue;
        const referent = this.referent(raw, 0);
        if (!referent) continue;
        if ('key' in referent) this.aliases.set(referent.key, local);
        else this.literals.set(referent.literal, local);
      }
    }
  }

  private resources(template: number): Resources {
    return (this.templates[template]?.Resources ?? {}) as Resources;
  }

  private referent(raw: Json, template: number): Referent | undefined {
    if (typeof raw === 'string') return { literal: raw };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
    if ('Ref' in raw && typeof raw.Ref === 'string' && raw.Ref in this.resources(template)) {
      return { key: `${template}/${raw.Ref}` };
    }
    if ('Fn::ImportValue' in raw && typeof raw['Fn::ImportValue'] === 'string') {
      const exported = this.exports.get(raw['Fn::ImportValue']);
      return exported ? this.referent(exported.value, exported.template) : undefined;
    }
    const resolved = this.resolve(raw, template, 'environment');
    return typeof resolved === 'string' ? { literal: resolved } : undefined;
  }

  private pseudo(name: string): string | undefined {
    const values: Record<string, string> = {
      'AWS::Region': LOCAL_REGION,
      'AWS::AccountId': LOCAL_ACCOUNT,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return values[name];
  }

  private ref(id: string, template: number, where: string): string {
    const pseudo = this.pseudo(id);
    if (pseudo !== undefined) return pseudo;
    const alias = this.aliases.get(`${template}/${id}`);
    if (alias !== undefined) return alias;
    const resource = this.resources(template)[id];
    if (!resource)
      throw new PolicyShapeError(`${where}: Ref to ${id}, which is not a resource of the template`);
    const fn = resource.Metadata?.[FUNCTION_METADATA_KEY];
    if (resource.Type === 'AWS::Lambda::Function' && typeof fn === 'string') return fn;
    if (resource.Type === 'AWS::StepFunctions::StateMachine') return this.stateMachineArn(id, resource);
    return `${UNRESOLVED_PREFIX}${id}`;
  }

  private stateMachineArn(id: string, resource: Resources[string]): string {
    const name = resource.Properties?.StateMachineName;
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${typeof name === 'string' ? name : id}`;
  }

  private getAtt(id: string, attribute: string, template: number, where: string): string {
    const resource = this.resources(template)[id];
    if (!resource)
      throw new PolicyShapeError(`${where}: GetAtt of ${id}, which is not a resource of the template`);
    const alias = this.aliases.get(`${template}/${id}`);
    if (alias !== undefined) {
      if (attribute === 'Arn') {
        const arn = alias.startsWith('arn:') ? alias : localArnOf(resource.Type, alias);
        if (arn) return arn;
      }
      if (attribute === 'Name' && !alias.startsWith('arn:')) return alias;
    }
    const fn = resource.Metadata?.[FUNCTION_METADATA_KEY];
    if (resource.Type === 'AWS::Lambda::Function' && typeof fn === 'string' && attribute === 'Arn') {
      return localFunctionArn(fn);
    }
    if (resource.Type === 'AWS::StepFunctions::StateMachine' && attribute === 'Arn') {
      return this.stateMachineArn(id, resource);
    }
    return `${UNRESOLVED_PREFIX}${id}/${attribute}`;
  }

  /** Resolves `value` as found in template `template`; `where` names it in messages. */
  resolve(value: Json, template: number, where: string): Json {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item, template, where));
    if (value === null || typeof value !== 'object') {
      if (typeof value !== 'string') return value;
      // A secret imported by partial ARN is granted as `<partial ARN>-??????` (the suffix Secrets Manager adds).
      const partial = value.endsWith('-??????') ? this.literals.get(value.slice(0, -7)) : undefined;
      return partial ?? this.literals.get(value) ?? value;
    }
    const keys = Object.keys(value);
    const intrinsic =
      keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::') || keys[0] === 'Condition');
    if (!intrinsic) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, template, where)]));
    }
    const key = keys[0] as string;
    const arg = value[key] as Json;
    switch (key) {
      case 'Ref':
        return this.ref(String(arg), template, where);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return this.getAtt(String(id), String(attribute), template, where);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, Json];
        const resolved = this.resolve(parts, template, where);
        if (!Array.isArray(resolved)) throw new PolicyShapeError(`${where}: Fn::Join of a non-list`);
        return resolved.map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [Json, Json];
        const resolved = this.resolve(list, template, where);
        const item = Array.isArray(resolved)
          ? resolved[Number(this.resolve(index, template, where))]
          : undefined;
        if (item === undefined) throw new PolicyShapeError(`${where}: Fn::Select out of range`);
        return item;
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, Json];
        return String(this.resolve(text, template, where)).split(separator);
      }
      case 'Fn::ImportValue': {
        const name = String(this.resolve(arg, template, where));
        const exported = this.exports.get(name);
        if (!exported)
          throw new PolicyShapeError(`${where}: Fn::ImportValue ${name} is exported by no template`);
        return this.resolve(exported.value, exported.template, where);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [String(arg), {}];
        return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
          if (name.startsWith('!')) return whole.replace('${!', '${');
          if (vars && name in vars) return String(this.resolve(vars[name] as Json, template, where));
          const [id, attribute] = name.split('.');
          return attribute
            ? this.getAtt(String(id), attribute, template, where)
            : this.ref(String(id), template, where);
        });
      }
      default:
        throw new PolicyShapeError(
          `${where}: the intrinsic ${key} is not supported by local mode's policy reader`,
        );
    }
  }
}

function refId(value: Json): string | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.Ref === 'string'
    ? value.Ref
    : undefined;
}

/** Checks what a Deny could skip: a Deny on a resource local mode cannot name would silently allow. */
function refuseUnresolvedDenies(statements: readonly Statement[]): void {
  for (const statement of statements) {
    if (statement.effect !== 'Deny') continue;
    const unresolved = [...(statement.resources ?? []), ...(statement.notResources ?? [])].find((r) =>
      r.startsWith(UNRESOLVED_PREFIX),
    );
    if (unresolved) {
      throw new PolicyShapeError(
        `${statement.origin}: a Deny on ${unresolved}, which local mode cannot name`,
      );
    }
  }
}

/**
 * Reads every function's role. `templates[0]` is the provisioning template, the others those whose exports it
 * imports (the stateful stack). `references` is what local mode sets in the handlers' environment for the
 * variables that name AWS resources (`TABLE_NAME` → the local table, `YAY_SECRET_ARN` → the local secret's ARN, …):
 * the template's resource behind each such variable is that local resource.
 */
export function readLocalRoles(
  templates: readonly CfnTemplate[],
  references: Readonly<Record<string, string>>,
): ReadonlyMap<string, LocalRole> {
  const resolver = new PolicyResolver(templates, references);
  const resources = (templates[0]?.Resources ?? {}) as Resources;
  const document = (raw: Json, origin: string) =>
    readPolicyDocument(resolver.resolve(raw, 0, origin), origin);

  /** Policy documents attached to a role by resources of their own, by role logical id (and by RoleName). */
  const attached = new Map<string, Statement[]>();
  const roleIdsByName = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    const name = resource.Properties?.RoleName;
    if (resource.Type === 'AWS::IAM::Role' && typeof name === 'string') roleIdsByName.set(name, id);
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (resource.Properties?.Roles ?? []) as Json;
    if (!Array.isArray(roles)) throw new PolicyShapeError(`${id}: Roles must be a list`);
    const targets = roles.map((role) => {
      const target =
        refId(role) ?? (typeof role === 'string' ? (roleIdsByName.get(role) ?? `name:${role}`) : undefined);
      if (!target)
        throw new PolicyShapeError(`${id}: a role given as ${JSON.stringify(role)} cannot be read`);
      return target;
    });
    if (targets.length === 0) continue;
    const statements = document(resource.Properties?.PolicyDocument as Json, id);
    for (const target of targets) attached.set(target, [...(attached.get(target) ?? []), ...statements]);
  }

  const roles = new Map<string, LocalRole>();
  for (const [id, resource] of Object.entries(resources)) {
    const functionName = resource.Metadata?.[FUNCTION_METADATA_KEY];
    if (resource.Type !== 'AWS::Lambda::Function' || typeof functionName !== 'string') continue;
    const roleRef = resource.Properties?.Role as Json;
    const getAtt =
      roleRef !== null && typeof roleRef === 'object' && !Array.isArray(roleRef)
        ? roleRef['Fn::GetAtt']
        : undefined;
    const roleId = Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
    const role = roleId ? resources[roleId] : undefined;
    if (!roleId || role?.Type !== 'AWS::IAM::Role') {
      throw new PolicyShapeError(
        `function ${functionName} (${id}): its Role ${JSON.stringify(roleRef)} is not a role of the template`,
      );
    }
    const props = role.Properties ?? {};
    for (const key of Object.keys(props)) {
      if (!ROLE_PROPERTIES.has(key)) {
        throw new PolicyShapeError(`role ${roleId}: ${key} is not supported by local mode's policy reader`);
      }
    }
    const statements: Statement[] = [];
    for (const [index, policy] of ((props.Policies ?? []) as Array<Record<string, Json>>).entries()) {
      statements.push(...document(policy.PolicyDocument as Json, `${roleId} inline policy ${index + 1}`));
    }
    for (const raw of (props.ManagedPolicyArns ?? []) as Json[]) {
      const managedId = refId(raw);
      const managed = managedId ? resources[managedId] : undefined;
      if (managedId && managed?.Type === 'AWS::IAM::ManagedPolicy') {
        statements.push(...document(managed.Properties?.PolicyDocument as Json, managedId));
        continue;
      }
      const arn = String(resolver.resolve(raw, 0, `${roleId} ManagedPolicyArns`));
      const awsManaged = /^arn:aws:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
      const known = awsManaged ? AWS_MANAGED_POLICIES[awsManaged] : undefined;
      if (!known)
        throw new PolicyShapeError(`role ${roleId}: the managed policy ${arn} is unknown to local mode`);
      statements.push(...readPolicyDocument(known, `${roleId} ${awsManaged}`));
    }
    const roleName = typeof props.RoleName === 'string' ? props.RoleName : roleId;
    statements.push(...(attached.get(roleId) ?? []), ...(attached.get(`name:${roleName}`) ?? []));
    refuseUnresolvedDenies(statements);
    roles.set(functionName, {
      functionName,
      logicalId: roleId,
      roleName,
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${roleName}`,
      sessionArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/${functionName}`,
      statements,
    });
  }
  return roles;
}
