/**
 * IAM identity-policy evaluation for local mode: the statements of a function's role, read once at start, and the
 * decision AWS would take for one request (action, resource, condition context). Only what the template uses is
 * supported, and everything else is refused when the policy is read ({@link PolicyShapeError}), so a shape the
 * evaluator cannot read fails the start instead of being silently allowed or silently denied.
 *
 * Evaluation as AWS does it for a single account without boundaries or SCPs: an explicit Deny wins, then any
 * Allow, else the implicit deny.
 */

/** A value of a request's condition context: one string, or several for a multivalued key. */
export type ContextValue = string | readonly string[];
/** The condition keys of one request (case-insensitive names, as IAM treats them). */
export type RequestContext = Readonly<Record<string, ContextValue>>;

/** One request to authorize: what a stand-in is asked to do, on which resource, with which condition keys. */
export interface AccessRequest {
  /** `service:Action`, e.g. `dynamodb:GetItem`. */
  readonly action: string;
  /** The resource ARN, e.g. `arn:aws:dynamodb:eu-west-2:000000000000:table/yay-provisioning`. */
  readonly resource: string;
  /** Condition keys of the service (`ses:FromAddress`, …); the global ones are added by the caller. */
  readonly context?: RequestContext;
}

/** What IAM decides: allowed, denied by a Deny statement, or not allowed by any statement. */
export type Decision = 'allow' | 'explicitDeny' | 'implicitDeny';

/** A policy the evaluator cannot read: the start fails with it, naming where and what. */
export class PolicyShapeError extends Error {
  override readonly name = 'PolicyShapeError';
}

/**
 * The condition keys local mode supplies, by lower-cased name, and whether each is multivalued. A policy naming
 * any other key is refused: a key local mode never sets would make every condition on it false (or true, for a
 * negated operator), which would be a silent decision, not AWS's.
 */
const CONDITION_KEYS: Readonly<Record<string, { multivalued: boolean }>> = {
  'aws:principalarn': { multivalued: false },
  'aws:principalaccount': { multivalued: false },
  'aws:principaltype': { multivalued: false },
  'aws:requestedregion': { multivalued: false },
  'aws:securetransport': { multivalued: false },
  // Set only when a service calls on behalf of a resource (never for a function's own calls): always absent here.
  'aws:sourceaccount': { multivalued: false },
  'aws:sourcearn': { multivalued: false },
  'ses:fromaddress': { multivalued: false },
  'ses:fromdisplayname': { multivalued: false },
  'ses:recipients': { multivalued: true },
  'ses:apiversion': { multivalued: false },
  'events:source': { multivalued: false },
  'events:detail-type': { multivalued: false },
};

type Comparison = 'string' | 'stringIgnoreCase' | 'stringLike' | 'arn' | 'arnLike' | 'bool' | 'null';

/** The condition operators supported: name → how values compare, and whether the result is negated. */
const OPERATORS: Readonly<Record<string, { comparison: Comparison; negated: boolean }>> = {
  StringEquals: { comparison: 'string', negated: false },
  StringNotEquals: { comparison: 'string', negated: true },
  StringEqualsIgnoreCase: { comparison: 'stringIgnoreCase', negated: false },
  StringNotEqualsIgnoreCase: { comparison: 'stringIgnoreCase', negated: true },
  StringLike: { comparison: 'stringLike', negated: false },
  StringNotLike: { comparison: 'stringLike', negated: true },
  ArnEquals: { comparison: 'arn', negated: false },
  ArnNotEquals: { comparison: 'arn', negated: true },
  ArnLike: { comparison: 'arnLike', negated: false },
  ArnNotLike: { comparison: 'arnLike', negated: true },
  Bool: { comparison: 'bool', negated: false },
  Null: { comparison: 'null', negated: false },
};

interface Condition {
  readonly operator: string;
  readonly comparison: Comparison;
  readonly negated: boolean;
  readonly ifExists: boolean;
  readonly set: 'ForAnyValue' | 'ForAllValues' | undefined;
  /** Lower-cased. */
  readonly key: string;
  readonly values: readonly string[];
}

/** One statement, read and checked. */
export interface Statement {
  readonly sid: string | undefined;
  readonly effect: 'Allow' | 'Deny';
  /** Exactly one of actions / notActions. */
  readonly actions: readonly string[] | undefined;
  readonly notActions: readonly string[] | undefined;
  /** Exactly one of resources / notResources. */
  readonly resources: readonly string[] | undefined;
  readonly notResources: readonly string[] | undefined;
  readonly conditions: readonly Condition[];
  /** Where it came from, for messages (`<policy logical id> statement <n>`). */
  readonly origin: string;
}

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  for (const item of list) {
    if (typeof item !== 'string') {
      throw new PolicyShapeError(`${where}: expected strings, got ${JSON.stringify(item)}`);
    }
    if (item.includes('${'))
      throw new PolicyShapeError(`${where}: policy variables are not supported (${item})`);
  }
  return list as string[];
}

function readConditions(raw: unknown, where: string): Condition[] {
  if (raw === undefined) return [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PolicyShapeError(`${where}: Condition must be an object`);
  }
  const conditions: Condition[] = [];
  for (const [name, block] of Object.entries(raw as Record<string, unknown>)) {
    const qualified = /^(ForAnyValue|ForAllValues):(.+)$/.exec(name);
    const set = qualified ? (qualified[1] as 'ForAnyValue' | 'ForAllValues') : undefined;
    const bare = qualified ? (qualified[2] as string) : name;
    const ifExists = bare.endsWith('IfExists') && bare !== 'IfExists';
    const operator = ifExists ? bare.slice(0, -'IfExists'.length) : bare;
    const known = OPERATORS[operator];
    if (!known || (ifExists && operator === 'Null')) {
      throw new PolicyShapeError(`${where}: condition operator ${name} is not supported by local mode`);
    }
    if (block === null || typeof block !== 'object' || Array.isArray(block)) {
      throw new PolicyShapeError(`${where}: condition ${name} must map keys to values`);
    }
    for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
      const spec = CONDITION_KEYS[key.toLowerCase()];
      if (!spec) throw new PolicyShapeError(`${where}: condition key ${key} is not supplied by local mode`);
      if (spec.multivalued && !set && operator !== 'Null') {
        throw new PolicyShapeError(
          `${where}: condition key ${key} is multivalued: use ForAnyValue:${name} or ForAllValues:${name}`,
        );
      }
      if (!spec.multivalued && set) {
        throw new PolicyShapeError(`${where}: ${set}: is for multivalued keys, and ${key} is single-valued`);
      }
      const list = (Array.isArray(values) ? values : [values]).map((value) =>
        typeof value === 'boolean' ? String(value) : value,
      );
      conditions.push({
        operator: name,
        ...known,
        ifExists,
        set,
        key: key.toLowerCase(),
        values: stringList(list, `${where}: condition ${name} ${key}`),
      });
    }
  }
  return conditions;
}

/**
 * Reads one policy document (already free of CloudFormation intrinsics). `origin` names it in every message.
 * Refuses what it cannot evaluate: another Version, Principal (not an identity policy), unknown keys, operators
 * or condition keys, policy variables.
 */
export function readPolicyDocument(document: unknown, origin: string): Statement[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new PolicyShapeError(`${origin}: the policy document is not an object`);
  }
  const { Version, Statement: raw, ...rest } = document as Record<string, unknown>;
  if (Object.keys(rest).length > 0) {
    throw new PolicyShapeError(`${origin}: unsupported policy key(s) ${Object.keys(rest).join(', ')}`);
  }
  if (Version !== '2012-10-17') {
    throw new PolicyShapeError(
      `${origin}: policy Version must be 2012-10-17, got ${JSON.stringify(Version)}`,
    );
  }
  const statements = Array.isArray(raw) ? raw : [raw];
  return statements.map((statement, index): Statement => {
    const where = `${origin} statement ${index + 1}`;
    if (statement === null || typeof statement !== 'object' || Array.isArray(statement)) {
      throw new PolicyShapeError(`${where}: not an object`);
    }
    const s = statement as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!STATEMENT_KEYS.has(key)) {
        throw new PolicyShapeError(`${where}: ${key} is not supported in an identity policy by local mode`);
      }
    }
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
      throw new PolicyShapeError(`${where}: Effect must be Allow or Deny, got ${JSON.stringify(s.Effect)}`);
    }
    if ((s.Action === undefined) === (s.NotAction === undefined)) {
      throw new PolicyShapeError(`${where}: exactly one of Action and NotAction is required`);
    }
    if ((s.Resource === undefined) === (s.NotResource === undefined)) {
      throw new PolicyShapeError(`${where}: exactly one of Resource and NotResource is required`);
    }
    const actions = s.Action === undefined ? undefined : stringList(s.Action, `${where}: Action`);
    const notActions = s.NotAction === undefined ? undefined : stringList(s.NotAction, `${where}: NotAction`);
    for (const action of [...(actions ?? []), ...(notActions ?? [])]) {
      if (action !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(action)) {
        throw new PolicyShapeError(`${where}: ${action} is not an action (service:Action)`);
      }
    }
    const resources = s.Resource === undefined ? undefined : stringList(s.Resource, `${where}: Resource`);
    const notResources =
      s.NotResource === undefined ? undefined : stringList(s.NotResource, `${where}: NotResource`);
    for (const resource of [...(resources ?? []), ...(notResources ?? [])]) {
      if (resource !== '*' && !/^arn:[^:]*:[^:]*:[^:]*:[^:]*:.+$/.test(resource)) {
        throw new PolicyShapeError(`${where}: ${resource} is not an ARN`);
      }
    }
    return {
      sid: typeof s.Sid === 'string' ? s.Sid : undefined,
      effect: s.Effect,
      actions,
      notActions,
      resources,
      notResources,
      conditions: readConditions(s.Condition, where),
      origin: where,
    };
  });
}

const globCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character; everything else literal. */
function glob(pattern: string, flags = ''): RegExp {
  const cacheKey = `${flags}/${pattern}`;
  let regex = globCache.get(cacheKey);
  if (!regex) {
    const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) =>
      c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`,
    );
    regex = new RegExp(`^${body}$`, `s${flags}`);
    globCache.set(cacheKey, regex);
  }
  return regex;
}

/** Action names are case-insensitive (`DynamoDB:getitem` is `dynamodb:GetItem`). */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern === '*' || glob(pattern, 'i').test(action);
}

/**
 * ARN matching as IAM's Resource element and ArnLike do it: the first five colon-separated parts (arn, partition,
 * service, region, account) each on its own — a wildcard never spans them — and the rest (the resource, colons and
 * slashes included) as one. `exact` compares without wildcards (ArnEquals). A lone `*` matches everything.
 */
export function arnMatches(pattern: string, arn: string, exact = false): boolean {
  if (pattern === '*' && !exact) return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (!p || !a) return false;
  return p.every((part, index) => (exact ? part === a[index] : glob(part).test(a[index] as string)));
}

function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function compare(comparison: Comparison, policyValue: string, value: string): boolean {
  switch (comparison) {
    case 'string':
      return policyValue === value;
    case 'stringIgnoreCase':
      return policyValue.toLowerCase() === value.toLowerCase();
    case 'stringLike':
      return glob(policyValue).test(value);
    case 'arn':
      return arnMatches(policyValue, value, true);
    case 'arnLike':
      return arnMatches(policyValue, value);
    case 'bool':
      return policyValue.toLowerCase() === value.toLowerCase();
    case 'null':
      return false;
  }
}

function lookup(context: RequestContext, key: string): readonly string[] | undefined {
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() === key) return typeof value === 'string' ? [value] : value;
  }
  return undefined;
}

/** One condition against the context, as IAM evaluates it (absent keys, negation, IfExists, set operators). */
function conditionHolds(condition: Condition, context: RequestContext): boolean {
  const values = lookup(context, condition.key);
  const present = values !== undefined && values.length > 0;
  if (condition.comparison === 'null') {
    // {"Null": {"key": "true"}}: true when the key is absent.
    return condition.values.some((expected) => (expected.toLowerCase() === 'true') === !present);
  }
  if (!present) {
    if (condition.set === 'ForAllValues') return true;
    if (condition.ifExists) return true;
    // A negated operator on an absent key holds; a positive one does not.
    return condition.negated && condition.set !== 'ForAnyValue';
  }
  const matchesAny = (value: string) => condition.values.some((p) => compare(condition.comparison, p, value));
  if (condition.set === 'ForAllValues') {
    return values.every((value) => (condition.negated ? !matchesAny(value) : matchesAny(value)));
  }
  if (condition.set === 'ForAnyValue') {
    return values.some((value) => (condition.negated ? !matchesAny(value) : matchesAny(value)));
  }
  const matched = matchesAny(values[0] as string);
  return condition.negated ? !matched : matched;
}

/** True when the statement covers the request: action, resource and every condition. */
export function statementApplies(
  statement: Statement,
  request: AccessRequest,
  context: RequestContext,
): boolean {
  const action = statement.actions
    ? statement.actions.some((p) => actionMatches(p, request.action))
    : !(statement.notActions ?? []).some((p) => actionMatches(p, request.action));
  if (!action) return false;
  const resource = statement.resources
    ? statement.resources.some((p) => arnMatches(p, request.resource))
    : !(statement.notResources ?? []).some((p) => arnMatches(p, request.resource));
  if (!resource) return false;
  return statement.conditions.every((condition) => conditionHolds(condition, context));
}

/** IAM's decision for one request under these statements; `context` is the request's whole condition context. */
export function evaluate(
  statements: readonly Statement[],
  request: AccessRequest,
  context: RequestContext = request.context ?? {},
): { decision: Decision; statement?: Statement } {
  let allowing: Statement | undefined;
  for (const statement of statements) {
    if (!statementApplies(statement, request, context)) continue;
    if (statement.effect === 'Deny') return { decision: 'explicitDeny', statement };
    allowing ??= statement;
  }
  return allowing ? { decision: 'allow', statement: allowing } : { decision: 'implicitDeny' };
}
