/** CloudFormation's intrinsics as local mode resolves them: every reference named as local mode names it. */
import { FUNCTION_METADATA_KEY } from '../../../infra/constructs/provisioning-function';
import {
  type CfnResource,
  type CfnTemplate,
  type Json,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  localFunctionArn,
} from './types';

/** Resource types whose `Ref` is the name the template gives them (the property that holds it). */
const NAMED_BY_REF: Readonly<Record<string, string>> = {
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SES::ConfigurationSet': 'Name',
};

/**
 * Resolves one template's references (and `Fn::ImportValue` of the others' exports) to the names and ARNs local
 * mode uses, and names each function by its folder (the metadata the construct writes).
 */
export class Resolver {
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
