import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessCheck, AccessRequest } from '../iam/access';

/**
 * A thrown service error: rendered the way AWS JSON protocols render them (`__type` in the body and the
 * `x-amzn-ErrorType` header), so the SDK raises an exception whose `name` is {@link AwsServiceError.type}.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** One operation of a JSON-protocol service: request body in, response body out. */
export type AwsJsonOperation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export interface AwsJsonServiceOptions {
  /** `X-Amz-Target` prefix, e.g. `AWSStepFunctions` or `secretsmanager`. */
  readonly targetPrefix: string;
  /** `1.0` or `1.1`: only the response content type differs. */
  readonly jsonVersion: '1.0' | '1.1';
  readonly operations: Readonly<Record<string, AwsJsonOperation>>;
  /** The member an error's text goes in: its service model names it `message` or (Secrets Manager) `Message`. */
  readonly messageMember?: 'message' | 'Message';
  /**
   * IAM enforcement: what each call asks for (action, resource, condition keys) and the check that decides it. A
   * denied call answers `AccessDeniedException` (400) before the operation runs. @default every call allowed
   */
  readonly access?: {
    readonly check: AccessCheck;
    readonly requests: (operation: string, input: Record<string, unknown>) => readonly AccessRequest[];
  };
}

/** A stand-in's request handler, with the operations it serves (what the conformance test must cover). */
export type AwsJsonHandler = ((req: IncomingMessage, res: ServerResponse) => Promise<void>) & {
  readonly operations: readonly string[];
};

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body up to `limit` bytes; undefined when it is larger. Event-based on purpose: async
 * iteration destroys the request stream at its end, and with it the keep-alive socket, which made every
 * SDK call open a new connection.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const body = await readRequestBody(req, MAX_BODY_BYTES);
  if (!body) throw new AwsServiceError('ValidationException', 'request body too large', 413);
  return body.toString('utf8');
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Serves the AWS JSON 1.0/1.1 protocol on 127.0.0.1 for exactly the operations given: one POST per call,
 * the operation named by `X-Amz-Target: <prefix>.<Operation>`. Signatures are not checked (the SDK signs
 * with the fake local credentials); an operation the handlers never make answers `UnknownOperationException`
 * so a new call in a handler shows up as a clear failure instead of a silent success.
 */
export function awsJsonHandler(options: AwsJsonServiceOptions): AwsJsonHandler {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (req.method !== 'POST')
        throw new AwsServiceError('UnknownOperationException', 'only POST is served', 404);
      const target = String(req.headers['x-amz-target'] ?? '');
      const [prefix, operationName] = target.split('.');
      const operation = operationName ? options.operations[operationName] : undefined;
      if (prefix !== options.targetPrefix || !operation || !operationName) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `operation ${target || '(none)'} is not served locally`,
        );
      }
      const raw = await readBody(req);
      let input: Record<string, unknown>;
      try {
        input = raw.trim() === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        throw new AwsServiceError('SerializationException', 'request body is not JSON');
      }
      if (options.access) {
        const denial = options.access.check(req, options.access.requests(operationName, input));
        if (denial) throw new AwsServiceError('AccessDeniedException', denial.message);
      }
      const output = await operation(input);
      send(res, 200, contentType, output);
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError(
              'InternalFailure',
              error instanceof Error ? error.message : 'internal error',
              500,
            );
      res.setHeader('x-amzn-ErrorType', serviceError.type);
      send(res, serviceError.statusCode, contentType, {
        __type: serviceError.type,
        [options.messageMember ?? 'message']: serviceError.message,
      });
    }
  };
  return Object.assign(handler, { operations: Object.keys(options.operations) });
}

/** How a stand-in pages a listing, and what it answers for a token that is not one of its own. */
export interface PagingRules {
  /** Page size when none (or 0) is asked for, and the largest one allowed. */
  readonly defaultSize: number;
  readonly maxSize: number;
  /** What this listing is of (its filters included): a token of another listing is refused. */
  readonly scope: string;
  /** The service's error for a token it did not give (InvalidToken, InvalidNextTokenException, …). */
  readonly invalidToken: (token: string) => AwsServiceError;
}

/**
 * One page of `items` from where `nextToken` says, and the token of the next page (none after the last). Tokens are
 * opaque to the caller, as AWS's are: the position and the listing they belong to, base64url-encoded.
 */
export function pageOf<T>(
  items: readonly T[],
  nextToken: unknown,
  maxResults: unknown,
  rules: PagingRules,
): { items: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined && nextToken !== null && nextToken !== '') {
    const token = String(nextToken);
    let position: { s?: unknown; o?: unknown } | undefined;
    try {
      position = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    } catch {
      position = undefined;
    }
    if (position?.s !== rules.scope || !Number.isSafeInteger(position.o) || Number(position.o) < 0)
      throw rules.invalidToken(token);
    start = Number(position.o);
  }
  const asked = Number(maxResults ?? 0);
  if (!Number.isSafeInteger(asked) || asked < 0 || asked > rules.maxSize) {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: ` +
        `Member must have value less than or equal to ${rules.maxSize}`,
    );
  }
  const size = asked === 0 ? rules.defaultSize : asked;
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length
      ? { nextToken: Buffer.from(JSON.stringify({ s: rules.scope, o: end })).toString('base64url') }
      : {}),
  };
}

/** AWS's answer to a request without a member the operation requires. */
export function requireMember(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (typeof value !== 'string' || value === '') {
    throw new AwsServiceError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}
