/**
 * AWS service models, for checking what local mode answers against what AWS's own clients expect: every member,
 * type and enum value of an answer must be one the model has, and a required member must be there.
 *
 * Two independent sources of the same models:
 * - the AWS SDK for JavaScript v3 clients this project uses: each `@aws-sdk/client-*` package exports the schema of
 *   every shape (`DescribeExecutionOutput$`: members, their types, how many are required) and its enums
 *   (`ExecutionStatus`); which member holds which enum, and which errors each operation may raise, are in the
 *   package's type declarations (`status?: ExecutionStatus`, `@throws {@link ExecutionDoesNotExist}`);
 * - botocore's JSON models (`botocore/data/<service>/<version>/service-2.json[.gz]`), what the AWS CLI reads.
 *
 * {@link checkAnswer} walks an answer as it came over the wire (AWS JSON: timestamps as epoch seconds, blobs as
 * base64), so a member the SDK's deserializer would silently drop is still caught.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';

/** A shape of a service model, whichever source it was read from. */
export type Shape =
  | { type: 'structure'; name: string; members: () => Record<string, Shape>; required: readonly string[] }
  | { type: 'list'; member: Shape }
  | { type: 'map'; key: Shape; value: Shape }
  | { type: 'string'; enum?: readonly string[] }
  | { type: 'number'; integer?: boolean }
  | { type: 'boolean' }
  | { type: 'timestamp' }
  | { type: 'blob' }
  | { type: 'document' };

export interface ServiceModel {
  /** Where it was read from, for messages: `@aws-sdk/client-sfn`, `botocore stepfunctions 2016-11-23`. */
  readonly source: string;
  /** The output structure of an operation; throws for an operation the model does not have. */
  output(operation: string): Shape;
  /** The errors the model says the operation may raise, by shape name. */
  errors(operation: string): readonly string[];
  /** An error shape by name, or undefined when the service has none of that name. */
  error(name: string): Shape | undefined;
}

/**
 * Errors every AWS service may answer without its model naming them (AWS's "common errors"): their body has only a
 * message. Local mode answers AccessDeniedException for a call a function's role does not allow.
 */
export const COMMON_ERRORS: readonly string[] = [
  'AccessDeniedException',
  'IncompleteSignature',
  'InternalFailure',
  'InvalidAction',
  'InvalidClientTokenId',
  'NotAuthorized',
  'OptInRequired',
  'RequestExpired',
  'ServiceUnavailable',
  'ThrottlingException',
  'ValidationError',
  'ValidationException',
  'UnknownOperationException',
  'SerializationException',
];

// ---------------------------------------------------------------------------------------------------------------
// The AWS SDK for JavaScript v3

const requireHere = createRequire(import.meta.url);

/** One interface of a package's type declarations: member name → the enum type it holds, if any. */
type EnumMembers = Map<string, Map<string, string>>;

/** `name?: Type | undefined;` members of every `export interface` of the package's model declarations. */
function enumMembers(typesDir: string, enums: ReadonlySet<string>): EnumMembers {
  const result: EnumMembers = new Map();
  const modelsDir = join(typesDir, 'models');
  for (const file of readdirSync(modelsDir).filter((f) => f.endsWith('.d.ts'))) {
    let current: Map<string, string> | undefined;
    for (const line of readFileSync(join(modelsDir, file), 'utf8').split('\n')) {
      const opened = /^export (?:declare )?(?:interface|class) (\w+)/.exec(line);
      if (opened) {
        current = new Map();
        result.set(opened[1] as string, current);
        continue;
      }
      if (line.startsWith('}')) {
        current = undefined;
        continue;
      }
      const member = /^ {4}(\w+)\??: (.+?);$/.exec(line);
      if (!current || !member) continue;
      const type = (member[2] as string).replace(/ \| undefined$/, '');
      const name = /^(?:(\w+)(?:\[\])?|Array<(\w+)>)$/.exec(type);
      const enumName = name?.[1] ?? name?.[2];
      if (enumName && enums.has(enumName)) current.set(member[1] as string, enumName);
    }
  }
  return result;
}

/** Each command's `@throws {@link Error}` lines, but the service's base exception. */
function operationErrors(typesDir: string, baseException: string): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const commandsDir = join(typesDir, 'commands');
  for (const file of readdirSync(commandsDir).filter((f) => f.endsWith('Command.d.ts'))) {
    const operation = file.replace(/Command\.d\.ts$/, '');
    const text = readFileSync(join(commandsDir, file), 'utf8');
    const errors = [...text.matchAll(/@throws \{@link (\w+)\}/g)]
      .map((match) => match[1] as string)
      .filter((name) => name !== baseException);
    result.set(operation, errors);
  }
  return result;
}

type SchemaRef = unknown;

/**
 * The model of one `@aws-sdk/client-*` package, from its exported schemas (Smithy's static schema tuples: `[3, ns,
 * name, traits, memberNames, memberSchemas, requiredCount]` for a structure, `[1, …, member]` a list, `[2, …, key,
 * value]` a map, `[-3, …]` an error, `[9, …, input, output]` an operation; a number is a simple type, with 64 for a
 * list of it and 128 for a map of it) and its type declarations (enums, errors per operation).
 */
export function sdkServiceModel(client: string): ServiceModel {
  const entry = requireHere.resolve(client);
  const packageDir = join(dirname(entry), '..');
  const typesDir = join(packageDir, 'dist-types');
  const module = requireHere(client) as Record<string, unknown>;
  const enumValues = new Map<string, string[]>();
  for (const [name, value] of Object.entries(module)) {
    if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).length > 0 &&
      Object.values(value).every((v) => typeof v === 'string')
    ) {
      enumValues.set(name, Object.values(value) as string[]);
    }
  }
  const base =
    Object.keys(module).find((name) => /ServiceException$/.test(name) && !name.endsWith('$')) ?? '';
  const members = enumMembers(typesDir, new Set(enumValues.keys()));
  const errorsOf = operationErrors(typesDir, base);

  const simple = (code: number): Shape => {
    if (code & 128) return { type: 'map', key: { type: 'string' }, value: simple(code & ~128) };
    if (code & 64) return { type: 'list', member: simple(code & ~64) };
    switch (code) {
      case 0:
        return { type: 'string' };
      case 1:
      case 17:
      case 19:
        return { type: 'number' };
      case 2:
        return { type: 'boolean' };
      case 4:
      case 5:
      case 6:
      case 7:
        return { type: 'timestamp' };
      case 15:
        return { type: 'document' };
      case 21:
      case 42:
        return { type: 'blob' };
      default:
        throw new Error(`${client}: schema code ${code} is unknown to the walker`);
    }
  };
  /** A string leaf of `shape` (a list's member) becomes the enum when the declarations name one. */
  const withEnum = (shape: Shape, values: readonly string[] | undefined): Shape => {
    if (!values) return shape;
    if (shape.type === 'string') return { type: 'string', enum: values };
    if (shape.type === 'list') return { type: 'list', member: withEnum(shape.member, values) };
    return shape;
  };
  const toShape = (ref: SchemaRef): Shape => {
    const schema = typeof ref === 'function' ? (ref as () => unknown)() : ref;
    if (typeof schema === 'number') return simple(schema);
    if (!Array.isArray(schema))
      throw new Error(`${client}: schema ${String(schema)} is unknown to the walker`);
    // A member with traits: [schema, traits].
    if (schema.length === 2) return toShape(schema[0]);
    const [kind, , name] = schema as [number, string, string];
    switch (kind) {
      case 0:
        return toShape(schema[4]);
      case 1:
        return { type: 'list', member: toShape(schema[4]) };
      case 2:
        return { type: 'map', key: toShape(schema[4]), value: toShape(schema[5]) };
      case 3:
      case 4:
      case -3: {
        const names = schema[4] as string[];
        const refs = schema[5] as SchemaRef[];
        const requiredCount = typeof schema[6] === 'number' ? schema[6] : 0;
        let resolved: Record<string, Shape> | undefined;
        return {
          type: 'structure',
          name,
          // A union (4) is a structure with exactly one member set; the walker checks the members it has.
          required: kind === 4 ? [] : names.slice(0, requiredCount),
          members: () => {
            resolved ??= Object.fromEntries(
              names.map((member, i) => {
                const enumName = members.get(name)?.get(member);
                return [member, withEnum(toShape(refs[i]), enumName ? enumValues.get(enumName) : undefined)];
              }),
            );
            return resolved;
          },
        };
      }
      default:
        throw new Error(`${client}: schema kind ${kind} (${name}) is unknown to the walker`);
    }
  };
  return {
    source: client,
    output(operation) {
      const schema = module[`${operation}$`];
      if (!Array.isArray(schema) || schema[0] !== 9)
        throw new Error(`${client} has no operation ${operation}`);
      return toShape(schema[5]);
    },
    errors: (operation) => errorsOf.get(operation) ?? [],
    error(name) {
      const schema = module[`${name}$`];
      return Array.isArray(schema) && schema[0] === -3 ? toShape(schema) : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// botocore

interface BotocoreShape {
  type: string;
  members?: Record<string, { shape: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  exception?: boolean;
}

interface BotocoreJson {
  metadata: { serviceId: string; apiVersion: string };
  operations: Record<string, { output?: { shape: string }; errors?: Array<{ shape: string }> }>;
  shapes: Record<string, BotocoreShape>;
}

/** Reads `<botocoreDir>/data/<service>/<newest version>/service-2.json` (gzipped in recent releases). */
export function botocoreServiceModel(botocoreDir: string, service: string): ServiceModel {
  const serviceDir = join(botocoreDir, 'data', service);
  const version = readdirSync(serviceDir).sort().at(-1) as string;
  const files = readdirSync(join(serviceDir, version));
  const file = files.find((f) => f === 'service-2.json') ?? files.find((f) => f === 'service-2.json.gz');
  if (!file) throw new Error(`botocore has no service-2.json for ${service} ${version}`);
  const raw = readFileSync(join(serviceDir, version, file));
  const model = JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as BotocoreJson;
  const toShape = (name: string): Shape => {
    const shape = model.shapes[name];
    if (!shape) throw new Error(`botocore ${service}: no shape ${name}`);
    switch (shape.type) {
      case 'structure': {
        let resolved: Record<string, Shape> | undefined;
        return {
          type: 'structure',
          name,
          required: shape.required ?? [],
          members: () => {
            resolved ??= Object.fromEntries(
              Object.entries(shape.members ?? {}).map(([member, ref]) => [member, toShape(ref.shape)]),
            );
            return resolved;
          },
        };
      }
      case 'list':
        return { type: 'list', member: toShape(shape.member?.shape ?? '') };
      case 'map':
        return {
          type: 'map',
          key: toShape(shape.key?.shape ?? ''),
          value: toShape(shape.value?.shape ?? ''),
        };
      case 'string':
        return shape.enum ? { type: 'string', enum: shape.enum } : { type: 'string' };
      case 'integer':
      case 'long':
        return { type: 'number', integer: true };
      case 'float':
      case 'double':
        return { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      case 'timestamp':
        return { type: 'timestamp' };
      case 'blob':
        return { type: 'blob' };
      default:
        return { type: 'document' };
    }
  };
  const source = `botocore ${service} ${version}`;
  return {
    source,
    output(operation) {
      const found = model.operations[operation];
      if (!found) throw new Error(`${source} has no operation ${operation}`);
      return found.output
        ? toShape(found.output.shape)
        : { type: 'structure', name: 'Unit', members: () => ({}), required: [] };
    },
    errors: (operation) => (model.operations[operation]?.errors ?? []).map((error) => error.shape),
    error(name) {
      const shape = model.shapes[name];
      if (!shape?.exception) return undefined;
      const error = toShape(name);
      if (error.type !== 'structure') return error;
      // botocore reads an error's message whatever its model says (some models list it, others leave it out).
      return {
        ...error,
        members: () => ({ message: { type: 'string' }, Message: { type: 'string' }, ...error.members() }),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The walker

/**
 * Every way `value` (JSON as it came over the wire) departs from `shape`: a member the model does not have, a missing
 * required member, a wrong type, an enum value the model does not have. Empty when it conforms.
 */
export function departures(shape: Shape, value: unknown, path = '$'): string[] {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const wrong = (expected: string) => [`${path}: expected ${expected}, got ${kind}`];
  switch (shape.type) {
    case 'structure': {
      if (kind !== 'object') return wrong(`structure ${shape.name}`);
      const object = value as Record<string, unknown>;
      const members = shape.members();
      const problems: string[] = [];
      for (const required of shape.required) {
        if (object[required] === undefined || object[required] === null)
          problems.push(`${path}: required member ${required} of ${shape.name} is missing`);
      }
      for (const [name, inner] of Object.entries(object)) {
        const member = members[name];
        if (!member) problems.push(`${path}.${name}: ${shape.name} has no member ${name}`);
        else if (inner !== null) problems.push(...departures(member, inner, `${path}.${name}`));
      }
      return problems;
    }
    case 'list':
      if (kind !== 'array') return wrong('list');
      return (value as unknown[]).flatMap((item, i) => departures(shape.member, item, `${path}[${i}]`));
    case 'map':
      if (kind !== 'object') return wrong('map');
      return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => [
        ...departures(shape.key, key, `${path}{${key}}`),
        ...departures(shape.value, inner, `${path}.${key}`),
      ]);
    case 'string':
      if (kind !== 'string') return wrong('string');
      if (shape.enum && !shape.enum.includes(value as string))
        return [`${path}: ${JSON.stringify(value)} is not one of ${shape.enum.join(', ')}`];
      return [];
    case 'number':
      if (kind !== 'number') return wrong('number');
      if (shape.integer && !Number.isInteger(value))
        return [`${path}: expected an integer, got ${String(value)}`];
      return [];
    case 'boolean':
      return kind === 'boolean' ? [] : wrong('boolean');
    case 'timestamp':
      // AWS JSON protocols send timestamps as epoch seconds.
      return kind === 'number' ? [] : wrong('timestamp (epoch seconds)');
    case 'blob':
      return kind === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value as string)
        ? []
        : wrong('blob (base64)');
    case 'document':
      return [];
  }
}

/** An answer as it came over the wire: status, `x-amzn-ErrorType`, and the body parsed. */
export interface WireAnswer {
  readonly status: number;
  readonly errorType?: string;
  readonly body: unknown;
}

/**
 * Every way an answer to `operation` departs from the model: a success against the operation's output; an error by
 * its name (one the operation may raise, or a common error) and its body against the error's shape.
 */
export function checkAnswer(model: ServiceModel, operation: string, answer: WireAnswer): string[] {
  if (answer.status < 300) return departures(model.output(operation), answer.body, operation);
  const body = (answer.body ?? {}) as Record<string, unknown>;
  const typeName = String(body.__type ?? answer.errorType ?? '').replace(/^.*#/, '');
  const { __type: _type, ...members } = body;
  const problems: string[] = [];
  if (answer.errorType !== undefined && answer.errorType.replace(/^.*#/, '').split(':')[0] !== typeName)
    problems.push(`${operation}: x-amzn-ErrorType ${answer.errorType} is not the body's __type ${typeName}`);
  const shape = model.error(typeName);
  const common = COMMON_ERRORS.includes(typeName);
  if (!common && !model.errors(operation).includes(typeName))
    problems.push(`${operation}: ${model.source} does not list ${typeName} among its errors`);
  if (shape) return [...problems, ...departures(shape, members, `${operation} ${typeName}`)];
  if (!common) return [...problems, `${operation}: ${model.source} has no error ${typeName}`];
  for (const name of Object.keys(members)) {
    if (name !== 'message' && name !== 'Message')
      problems.push(`${operation} ${typeName}: a common error has no member ${name}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Recording what came over the wire

/** An answer a client received, by service and operation. */
export interface RecordedAnswer extends WireAnswer {
  readonly service: string;
  readonly operation: string;
}

interface RecordableClient {
  middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<{ response: unknown }>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<{ response: unknown }>,
      options: { step: 'deserialize'; priority: 'low'; name: string },
    ): void;
  };
}

/**
 * Keeps every raw answer `client` receives in `into`, before the SDK's deserializer reads it (which would drop a
 * member its model does not have): a middleware inside the deserialize step reads the body and hands the SDK a
 * copy.
 */
export function recordAnswers<T>(client: T, service: string, into: RecordedAnswer[]): T {
  (client as unknown as RecordableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as {
        statusCode: number;
        headers: Record<string, string>;
        body: AsyncIterable<Uint8Array>;
      };
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks).toString('utf8');
      response.body = Readable.from([Buffer.from(text)]);
      const errorType = response.headers['x-amzn-errortype'];
      into.push({
        service,
        operation: (context.commandName ?? '').replace(/Command$/, ''),
        status: response.statusCode,
        ...(errorType !== undefined ? { errorType } : {}),
        body: text.trim() === '' ? {} : JSON.parse(text),
      });
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'recordAnswers' },
  );
  return client;
}

/**
 * The JSON type at each path of an answer (`$.events[].stateEnteredEventDetails.name` → `string`), for comparing the
 * shapes of two answers to the same call without their values: lists and maps (as the model knows them) collapse to
 * `[]` and `{}`. A null, and a member the model does not have (another emulator's own), are left out.
 */
export function shapePaths(shape: Shape, value: unknown, path = '$', into = new Map<string, string>()) {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (kind === 'null') return into;
  into.set(path, shape.type === 'map' ? 'map' : kind);
  if (shape.type === 'list' && kind === 'array') {
    for (const item of value as unknown[]) shapePaths(shape.member, item, `${path}[]`, into);
  } else if (shape.type === 'map' && kind === 'object') {
    for (const inner of Object.values(value as Record<string, unknown>))
      shapePaths(shape.value, inner, `${path}{}`, into);
  } else if (shape.type === 'structure' && kind === 'object') {
    const members = shape.members();
    for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
      const member = members[name];
      if (member) shapePaths(member, inner, `${path}.${name}`, into);
    }
  }
  return into;
}
