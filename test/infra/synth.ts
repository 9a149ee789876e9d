import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/app-factory';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/provisioning-function';
import type { FunctionName } from '../../infra/names';

/** A synthesized app (bundling off) with both templates in memory; its cloud assembly is already deleted. */
export interface Synthesized {
  readonly built: ReturnType<typeof buildApp>;
  readonly stateful: Template;
  readonly provisioning: Template;
  /** Annotations (errors, warnings) of each stack, read before the assembly is deleted. */
  readonly annotations: { readonly stateful: Annotations; readonly provisioning: Annotations };
}

let cached: Synthesized | undefined;

/**
 * One synth per test process, shared by every test in the file: synthesis is the slow part and the
 * templates are immutable. The assembly goes to a fresh dir under the OS temp dir, removed at once.
 */
export function synthesized(): Synthesized {
  if (cached) return cached;
  const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-test-'));
  try {
    const built = buildApp({ bundle: false, outdir });
    built.app.synth();
    cached = {
      built,
      stateful: Template.fromStack(built.stateful),
      provisioning: Template.fromStack(built.provisioning),
      annotations: {
        stateful: Annotations.fromStack(built.stateful),
        provisioning: Annotations.fromStack(built.provisioning),
      },
    };
    return cached;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

/** The logical id of the Lambda whose `yay:function` metadata is `name`. */
export function functionLogicalId(template: Template, name: FunctionName): string {
  const matches = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    ([, resource]) => (resource as Resource).Metadata?.[FUNCTION_METADATA_KEY] === name,
  );
  if (matches.length !== 1) throw new Error(`expected one function tagged ${name}, found ${matches.length}`);
  return (matches[0] as [string, unknown])[0];
}

/** The function resource's properties by its `yay:function` name. */
export function functionProperties(template: Template, name: FunctionName): Record<string, unknown> {
  const id = functionLogicalId(template, name);
  return (template.toJSON().Resources[id] as Resource).Properties ?? {};
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every IAM statement attached to the role of function `name` (inline policies of that role). */
export function statementsOf(template: Template, name: FunctionName): Statement[] {
  const role = (functionProperties(template, name).Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  return statementsOfRole(template, role);
}

/** Every IAM statement attached to the role with logical id `role`. */
export function statementsOfRole(template: Template, role: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((policy) =>
      ((policy.Properties?.Roles ?? []) as Array<{ Ref?: string }>).some((r) => r.Ref === role),
    )
    .flatMap(
      (policy) =>
        (policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
}

/** All actions granted to function `name`. */
export function actionsOf(template: Template, name: FunctionName): string[] {
  return statementsOf(template, name).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** Statements of function `name` that grant `action`. */
export function statementsGranting(template: Template, name: FunctionName, action: string): Statement[] {
  return statementsOf(template, name).filter((s) =>
    (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action),
  );
}

/** Values for the pseudo parameters a definition may reference (a Task's `arn:${AWS::Partition}:states:::…`). */
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-2',
  'AWS::AccountId': '000000000000',
};

/**
 * The state machine's definition as an object. CloudFormation joins the JSON with function ARNs; each
 * `Fn::GetAtt` becomes `GetAtt:<LogicalId>` so a Task's Resource still says which function it calls.
 */
export function stateMachineDefinition(template: Template): {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
} {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
  const body = machine?.Properties?.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt) return `GetAtt:${getAtt[0]}`;
      const ref = String((part as { Ref?: string }).Ref);
      return PSEUDO_PARAMETERS[ref] ?? `Ref:${ref}`;
    })
    .join('');
  return JSON.parse(text);
}

/** Every acknowledgement recorded in the tree: rule id → reason, with the construct path. */
export function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}
