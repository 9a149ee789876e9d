import * as z from 'zod';
import { ConfigInvalid, OrderInvalid, YayUnavailable } from '../errors';
import type { YayCredentials } from '../secrets';
import { cleanStatusMessage, statusError, transportError } from './call-errors';

/** Where and how the client calls Yay: what {@link yayRequest} is built from. */
export interface YayConnection {
  /** e.g. `https://api.yay.com`; white-label hosts differ. No user-info part. */
  baseUrl: string;
  /**
   * The credentials, or a function that reads them (e.g. through the secrets cache) before every call.
   * An error the function throws (such as ConfigInvalid) propagates unchanged.
   */
  credentials: YayCredentials | (() => Promise<YayCredentials>);
  /** Per call, including reading the body. Default 10000. */
  timeoutMs?: number;
  /** Default `yay-provisioning/0.1`. */
  userAgent?: string;
  /** Default: Node's global fetch. */
  fetch?: typeof fetch;
}

/** The HTTP methods the Yay API uses. */
export type YayMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Per-call options of {@link YayClient.request}. */
export interface YayRequestOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** `X-Auth-For: <customer name>`: run the call on behalf of that customer. */
  authFor?: string;
}

/** A successful answer: the envelope's `result` and the status that counted. */
export interface YayResponse {
  httpStatus: number;
  /** The HTTP status, or the envelope's `status_code` when only the envelope reports the error. */
  status: number;
  /** Yay's `status_message`, trimmed, capped and with any credential removed. */
  statusMessage?: string;
  result: unknown;
}

/** One call with the auth headers; throws the mapped error for anything but 2xx. */
export type YayRequest = (
  method: YayMethod,
  path: string,
  options?: YayRequestOptions,
) => Promise<YayResponse>;

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_USER_AGENT = 'yay-provisioning/0.1';

const StatusCodeSchema = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^\d{3}$/)
    .transform(Number),
]);

/** Every answer is `{result, status_code, status_message}`; `result` is an object or an array. */
const EnvelopeSchema = z.object({
  result: z.unknown(),
  status_code: StatusCodeSchema.optional(),
  status_message: z.string().optional(),
});

/** Credentials must be visible ASCII; checked here because fetch's own error would quote the value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
/**
 * An `X-Auth-For` customer name: printable ASCII, spaces allowed inside (names created outside this product have
 * them, and HTTP allows them within a value) but not at either end, where a header value loses them.
 */
export const AUTH_FOR_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The raw call: the three auth headers and a User-Agent, a timeout, no redirects, the envelope read, failures mapped
 * onto the error classes the state machine retries or catches, no credential in any error. Refuses a base URL or a
 * timeout it cannot use at once.
 */
export function yayRequest(options: YayConnection): YayRequest {
  const base = parseBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigInvalid(`Yay client option timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const readCredentials =
    typeof options.credentials === 'function'
      ? options.credentials
      : async () => options.credentials as YayCredentials;

  async function request(
    method: YayMethod,
    path: string,
    call: YayRequestOptions = {},
  ): Promise<YayResponse> {
    if (!path.startsWith('/')) throw new TypeError(`Yay request path must start with "/", got "${path}"`);
    const context = `${method} ${path}`;
    const credentials = checkCredentials(await readCredentials());
    // A password in the body (a store user's) is as secret as the credentials, should Yay ever quote it back.
    const secrets = [credentials.password, credentials.user, credentials.reseller, ...passwordsIn(call.body)];
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': userAgent,
      'x-auth-reseller': credentials.reseller,
      'x-auth-user': credentials.user,
      'x-auth-password': credentials.password,
    };
    if (call.authFor !== undefined) {
      if (!AUTH_FOR_SAFE.test(call.authFor)) {
        throw new OrderInvalid(
          `X-Auth-For customer name ${JSON.stringify(call.authFor)} is not a valid header value ` +
            '(printable ASCII, no space at either end)',
        );
      }
      headers['x-auth-for'] = call.authFor;
    }
    let body: string | undefined;
    if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }

    let response: Response;
    let text: string;
    try {
      // Redirects are not followed: fetch would replay the X-Auth-* headers to wherever they point.
      response = await fetchImpl(`${base}${path}`, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw transportError(error, context, timeoutMs, secrets, 'sending');
    }
    try {
      text = await response.text();
    } catch (error) {
      // The status line arrived, so Yay received the request: whatever it did may have happened.
      throw transportError(error, context, timeoutMs, secrets, 'reading');
    }
    return readEnvelope(context, response.status, text, secrets);
  }

  return request;
}

function parseBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigInvalid(`Yay client option baseUrl "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigInvalid(`Yay client option baseUrl "${baseUrl}" must be http(s)`);
  }
  if (url.username || url.password) {
    // Do not echo it: the user-info part may hold a password.
    throw new ConfigInvalid(
      'Yay client option baseUrl must not contain user-info (credentials go in headers)',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function checkCredentials(credentials: YayCredentials): YayCredentials {
  for (const field of ['reseller', 'user', 'password'] as const) {
    const value = credentials?.[field];
    if (typeof value !== 'string' || !HEADER_SAFE.test(value)) {
      // Names the field, never the value.
      throw new ConfigInvalid(`Yay credentials field ${field} is missing or not a valid header value`);
    }
  }
  return credentials;
}

function readEnvelope(context: string, httpStatus: number, text: string, secrets: string[]): YayResponse {
  let envelope: z.infer<typeof EnvelopeSchema> | undefined;
  try {
    const json: unknown = JSON.parse(text);
    // Some object without `result` or `status_code` is not the envelope, whatever else it holds.
    const looksLikeEnvelope =
      typeof json === 'object' && json !== null && ('result' in json || 'status_code' in json);
    const parsed = EnvelopeSchema.safeParse(json);
    if (looksLikeEnvelope && parsed.success) envelope = parsed.data;
  } catch {
    envelope = undefined;
  }
  // Yay may report an error only inside the envelope, under HTTP 200; the worse of the two counts.
  const envelopeStatus = envelope?.status_code;
  const status =
    httpStatus >= 300 || envelopeStatus === undefined || envelopeStatus < 300 ? httpStatus : envelopeStatus;
  const statusMessage = cleanStatusMessage(envelope?.status_message, secrets);
  if (status >= 300) throw statusError(context, status, statusMessage);
  // A 2xx with no body at all (e.g. 204) is a success with nothing to read, not a garbled answer.
  if (!envelope && text.trim() === '') return { httpStatus, status, result: undefined };
  if (!envelope) {
    throw new YayUnavailable(`${context}: Yay answered ${httpStatus} without the JSON envelope`, true);
  }
  return {
    httpStatus,
    status,
    result: envelope.result,
    ...(statusMessage ? { statusMessage } : {}),
  };
}

/** Every string under a `password` key of a request body, at any depth. */
function passwordsIn(body: unknown, depth = 0): string[] {
  if (depth > 5 || body === null || typeof body !== 'object') return [];
  return Object.entries(body).flatMap(([key, value]) =>
    key === 'password' && typeof value === 'string' ? [value] : passwordsIn(value, depth + 1),
  );
}
