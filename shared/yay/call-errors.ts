import type * as z from 'zod';
import { YayAuthFailed, YayRateLimited, YayRejected, YayUnavailable } from '../errors';

/**
 * Error codes that prove the request never left this machine: name resolution and connection
 * set-up failures. Anything else (timeouts, resets, unknown codes) may have reached Yay, which the
 * transfer protocol must then treat as an unknown outcome.
 */
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Yay's `status_message` is kept on errors, at most this long: the only detail its errors carry. */
const MAX_STATUS_MESSAGE = 200;

/**
 * The error for a status, each keeping the name the state machine retries or catches it by; Yay's own
 * `status_message` (already cleaned) is appended, as it is the only detail Yay's errors give.
 */
export function statusError(context: string, status: number, statusMessage: string | undefined): Error {
  const said = statusMessage ? `; Yay said ${JSON.stringify(statusMessage)}` : '';
  if (status === 401 || status === 403) {
    return new YayAuthFailed(
      `${context}: Yay refused the credentials (${status}); check the secret and the IP allow-list${said}`,
    );
  }
  if (status === 429) return new YayRateLimited(`${context}: Yay is rate limiting (429)${said}`);
  if (status >= 500) return new YayUnavailable(`${context}: Yay answered ${status}${said}`, true);
  if (status < 400) {
    return new YayRejected(
      `${context}: Yay answered a redirect (${status}); check the base URL${said}`,
      status,
    );
  }
  return new YayRejected(`${context}: Yay refused the request (${status})${said}`, status);
}

/**
 * Yay's `status_message`, fit for an error message, a log line and the order's `lastError`: control characters
 * and runs of whitespace made one space, trimmed, any credential or password of the request replaced with
 * `[redacted]` (before capping, so a cut cannot leave part of one), at most {@link MAX_STATUS_MESSAGE} characters.
 */
export function cleanStatusMessage(message: string | undefined, secrets: string[]): string | undefined {
  if (message === undefined) return undefined;
  // Redacted on the raw text, and again once whitespace is single spaces (a secret with a space, quoted across lines).
  const flat = redact(redact(message, secrets).replace(/[\p{Cc}\s]+/gu, ' '), secrets).trim();
  if (flat === '') return undefined;
  return flat.length > MAX_STATUS_MESSAGE ? `${flat.slice(0, MAX_STATUS_MESSAGE - 1)}…` : flat;
}

/** The YayUnavailable for a call that failed before its answer was read, saying whether it may have reached Yay. */
export function transportError(
  error: unknown,
  context: string,
  timeoutMs: number,
  secrets: string[],
  phase: 'sending' | 'reading',
): YayUnavailable {
  const cause = sanitize(error, secrets);
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new YayUnavailable(`${context}: no answer within ${timeoutMs} ms`, true, { cause });
  }
  if (phase === 'sending' && neverSent(error)) {
    return new YayUnavailable(
      `${context}: could not connect (${errorCode(error) ?? 'no connection'})`,
      false,
      {
        cause,
      },
    );
  }
  const what = phase === 'reading' ? 'the answer was cut off' : 'the connection failed';
  return new YayUnavailable(`${context}: ${what} (${errorCode(error) ?? 'network error'})`, true, { cause });
}

/** True when every failure in the chain is one of the set-up errors in {@link NEVER_SENT_CODES}. */
function neverSent(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof AggregateError) return cause.errors.length > 0 && cause.errors.every(hasNeverSentCode);
  // fetch refuses some ports before connecting ("bad port"), per the Fetch standard.
  if (cause instanceof Error && cause.message === 'bad port') return true;
  return hasNeverSentCode(cause);
}

function hasNeverSentCode(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && NEVER_SENT_CODES.has(code);
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (current instanceof AggregateError) return errorCode(current.errors[0]);
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Rebuilds an error chain from plain Errors holding only name, message and code, with any credential
 * text removed. The originals may carry sockets, requests or header objects; none of that may travel
 * into logs or the state machine's `$.error`.
 */
function sanitize(error: unknown, secrets: string[], depth = 0): Error | undefined {
  if (depth > 4 || error === undefined || error === null) return undefined;
  const source = error instanceof Error ? error : new Error(String(error));
  const clean = new Error(redact(source.message, secrets), {
    cause: sanitize((source as { cause?: unknown }).cause, secrets, depth + 1),
  });
  clean.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(clean, { code });
  if (!clean.cause) delete (clean as { cause?: unknown }).cause;
  clean.stack = `${clean.name}: ${clean.message}`;
  return clean;
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('[redacted]');
  return out;
}

/** An answer whose body is not what the call expects: Yay is treated as unavailable (retried). */
export function unexpectedBody(context: string, error: z.ZodError): YayUnavailable {
  return new YayUnavailable(`${context}: Yay answered an unexpected body (${describeIssues(error)})`, true);
}

/** Names the fields and what was wrong; zod 4 issue messages do not quote the values. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
