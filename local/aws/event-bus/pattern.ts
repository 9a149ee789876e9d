/**
 * EventBridge event-pattern matching for local mode's bus: the subset of the pattern language a CDK rule
 * renders (exact values, `prefix`, `suffix`, `anything-but`, `exists`, `numeric`, `equals-ignore-case`,
 * `$or`, nested objects). An operator this does not know makes the pattern fail loudly at load time
 * ({@link assertSupportedPattern}) rather than silently match nothing at run time.
 */
export type EventPattern = Record<string, unknown>;

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'exists', 'numeric', 'equals-ignore-case']);

/** Throws naming the operator when the pattern uses something this matcher does not implement. */
export function assertSupportedPattern(pattern: unknown, path = ''): void {
  if (Array.isArray(pattern)) {
    for (const item of pattern) {
      if (item !== null && typeof item === 'object') {
        for (const key of Object.keys(item)) {
          if (!OPERATORS.has(key))
            throw new Error(
              `event pattern operator "${key}" at ${path || '(root)'} is not supported locally`,
            );
        }
      }
    }
    return;
  }
  if (pattern === null || typeof pattern !== 'object') {
    throw new Error(`event pattern at ${path || '(root)'} must be an object or an array of values`);
  }
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      for (const branch of value as unknown[]) assertSupportedPattern(branch, path);
    } else {
      assertSupportedPattern(value, path ? `${path}.${key}` : key);
    }
  }
}

function matchNumeric(conditions: unknown[], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = conditions[i + 1] as number;
    const ok =
      (op === '=' && value === bound) ||
      (op === '<' && value < bound) ||
      (op === '<=' && value <= bound) ||
      (op === '>' && value > bound) ||
      (op === '>=' && value >= bound);
    if (!ok) return false;
  }
  return true;
}

function matchOne(rule: unknown, value: unknown, present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && value === rule;
  const [op, arg] = Object.entries(rule as Record<string, unknown>)[0] ?? [];
  switch (op) {
    case 'exists':
      return arg === present;
    case 'prefix':
      return present && typeof value === 'string' && value.startsWith(String(arg));
    case 'suffix':
      return present && typeof value === 'string' && value.endsWith(String(arg));
    case 'equals-ignore-case':
      return present && typeof value === 'string' && value.toLowerCase() === String(arg).toLowerCase();
    case 'numeric':
      return present && matchNumeric(arg as unknown[], value);
    case 'anything-but': {
      if (!present) return false;
      const excluded = Array.isArray(arg) ? arg : [arg];
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg) && 'prefix' in arg) {
        return !(typeof value === 'string' && value.startsWith(String((arg as { prefix: string }).prefix)));
      }
      return !excluded.includes(value as never);
    }
    default:
      return false;
  }
}

function matchValues(rules: unknown[], value: unknown, present: boolean): boolean {
  // An array value in the event matches when any of its elements matches (EventBridge semantics).
  const candidates = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (rule !== null && typeof rule === 'object' && 'exists' in rule) return matchOne(rule, value, present);
    return candidates.some((candidate) => matchOne(rule, candidate, present));
  });
}

/** True when `event` (a bus envelope: source, detail-type, detail, …) matches `pattern`. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const object = event !== null && typeof event === 'object' ? (event as Record<string, unknown>) : {};
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(rule as EventPattern[]).some((branch) => matchesPattern(branch, event))) return false;
      continue;
    }
    const present = Object.hasOwn(object, key);
    const value = object[key];
    if (Array.isArray(rule)) {
      if (!matchValues(rule, value, present)) return false;
    } else if (!matchesPattern(rule as EventPattern, value)) {
      return false;
    }
  }
  return true;
}
