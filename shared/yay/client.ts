import * as z from 'zod';
import type { Millis } from '../domain/credit';
import { YayAddressSchema } from '../domain/order-event';
import {
  ConfigInvalid,
  OrderInvalid,
  YayAuthFailed,
  YayRateLimited,
  YayRejected,
  YayUnavailable,
} from '../errors';
import type { YayCredentials } from '../secrets';
import { readYayAmount } from './amount';
import { type HistoryReading, readBalanceHistory } from './balance-history';
import { creditAllocationCall } from './credit-allocation';
import {
  BALANCE_HISTORY_SOURCES,
  type BalanceHistorySource,
  CUSTOMER_BALANCE_SOURCES,
  type CustomerBalanceSource,
  DEFAULT_YAY_SETTINGS,
  type YaySettings,
} from './settings';
import type { BalanceHistoryEntry, CreateCustomerInput, YayApi, YayCustomer } from './types';

/** Options of {@link createYayClient}. */
export interface YayClientOptions {
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
  /**
   * Which balance and history paths to read and how to move credit, where the API leaves it unknown.
   * Default {@link DEFAULT_YAY_SETTINGS}: every candidate in order, and the guide's transfer.
   */
  settings?: YaySettings;
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

/**
 * What one balance-history candidate gave, for `ops yay-check`: a reading of its answer, or `notAnswered` with
 * the status of the definite refusal (404, 400…) that means "not this path".
 */
export type HistoryProbe = HistoryReading | { kind: 'notAnswered'; status: number };

/** {@link YayApi} plus the raw call and each candidate on its own, for probing undocumented paths (`ops yay-check`). */
export interface YayClient extends YayApi {
  /** The settings this client runs with. */
  readonly settings: YaySettings;
  /** One call with the auth headers; throws the mapped error for anything but 2xx. */
  request(method: YayMethod, path: string, options?: YayRequestOptions): Promise<YayResponse>;
  /** One customer-balance candidate alone, whatever the settings pin: the balance, or `undefined`. */
  customerBalanceFrom(
    source: CustomerBalanceSource,
    customer: { uuid: string; name: string },
  ): Promise<Millis | undefined>;
  /** One balance-history candidate alone, whatever the settings say. */
  customerBalanceHistoryFrom(
    source: BalanceHistorySource,
    customer: { uuid: string; name: string },
  ): Promise<HistoryProbe>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_USER_AGENT = 'yay-provisioning/0.1';

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

const AmountSchema = z.union([z.number(), z.string()]);
const BalanceSchema = z.looseObject({ balance: AmountSchema });

/**
 * The documented list item has more (`phone`, `created_on`, `addresses`, `ip_addresses`, `users` with their
 * `password`): only these four are read, so nothing else of an item, least of all a password, goes further.
 */
const CustomerListSchema = z.array(
  z.looseObject({
    uuid: z.string().min(1),
    name: z.string().min(1),
    contact_name: z.string().nullish(),
    store_front: z.string().nullish(),
  }),
);

const CreatedSchema = z.looseObject({ uuid: z.string().min(1).optional() });

const StoreFrontsSchema = z.union([
  z.array(z.record(z.string(), z.unknown())),
  z.record(z.string(), z.unknown()),
]);

/** The create body as the guide shows it; checked before sending so bad input never reaches Yay. */
const CreateCustomerInputSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, "_" or "-"'),
  contact_name: z.string().trim().min(1),
  store_front: z.string().trim().min(1),
  users: z
    .array(
      z.object({
        contact_first_name: z.string().trim().min(1),
        contact_last_name: z.string().trim().min(1),
        name: z.string().trim().min(1),
        password: z.string().min(8),
        role_id: z.literal('3'),
        email: z.email(),
      }),
    )
    .min(1),
  addresses: z.array(YayAddressSchema).min(1),
});

/** Credentials must be visible ASCII; checked here because fetch's own error would quote the value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
/**
 * An `X-Auth-For` customer name: printable ASCII, spaces allowed inside (names created outside this product have
 * them, and HTTP allows them within a value) but not at either end, where a header value loses them.
 */
const AUTH_FOR_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** Yay's `status_message` is kept on errors, at most this long: the only detail its errors carry. */
const MAX_STATUS_MESSAGE = 200;

/**
 * Creates the typed Yay API client over fetch. Every call carries the three auth headers and a
 * User-Agent, has a timeout, reads the envelope, and maps failures onto the error classes the state
 * machine retries or catches. It never retries by itself: retries belong to the state machine, where
 * they are visible and bounded. Credentials never appear in a thrown error or its `cause` chain.
 */
export function createYayClient(options: YayClientOptions): YayClient {
  const base = parseBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigInvalid(`Yay client option timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const settings = options.settings ?? DEFAULT_YAY_SETTINGS;
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

  function readBalance(context: string, result: unknown): Millis {
    const parsed = BalanceSchema.safeParse(result);
    if (!parsed.success) throw unexpectedBody(context, parsed.error);
    return readAmount(context, parsed.data.balance);
  }

  const client: YayClient = {
    settings,
    request,

    async checkAuthentication() {
      await request('GET', '/authenticated');
    },

    async createCustomer(input: CreateCustomerInput) {
      const checked = CreateCustomerInputSchema.safeParse(input);
      if (!checked.success) {
        throw new OrderInvalid(`create customer input is invalid: ${describeIssues(checked.error)}`);
      }
      const { result } = await request('POST', '/account/reseller', { body: input });
      // The create answer is undocumented: a missing uuid is tolerated and the caller looks the name up.
      const created = CreatedSchema.safeParse(result);
      return created.success && created.data.uuid ? { uuid: created.data.uuid } : {};
    },

    async listCustomers(): Promise<YayCustomer[]> {
      const context = 'GET /account/reseller';
      const { result } = await request('GET', '/account/reseller');
      const parsed = CustomerListSchema.safeParse(result);
      if (!parsed.success) throw unexpectedBody(context, parsed.error);
      return parsed.data.map((customer) => ({
        uuid: customer.uuid,
        name: customer.name,
        ...(customer.contact_name ? { contact_name: customer.contact_name } : {}),
        ...(customer.store_front ? { store_front: customer.store_front } : {}),
      }));
    },

    async listStoreFronts() {
      const { result } = await request('GET', '/account/store');
      const parsed = StoreFrontsSchema.safeParse(result);
      if (!parsed.success) throw unexpectedBody('GET /account/store', parsed.error);
      if (Array.isArray(parsed.data)) return parsed.data;
      return Object.keys(parsed.data).length === 0 ? [] : [parsed.data];
    },

    async transferCredit(customerUuid: string, amount: Millis) {
      const call = creditAllocationCall(settings.creditAllocation, customerUuid, amount);
      await request(call.method, call.path, { body: call.body });
    },

    async resellerBalance() {
      const context = 'GET /account/balance';
      const { result } = await request('GET', '/account/balance');
      return readBalance(context, result);
    },

    customerBalanceFrom: balanceFrom,
    customerBalanceHistoryFrom: historyFrom,

    async customerBalance(customer) {
      customerPath(customer.uuid); // refuses an empty uuid before any call

      const sources =
        settings.customerBalance === 'auto' ? CUSTOMER_BALANCE_SOURCES : [settings.customerBalance];
      for (const source of sources) {
        const balance = await balanceFrom(source, customer);
        if (balance !== undefined) return balance;
      }
      return undefined;
    },

    async customerBalanceHistory(customer): Promise<BalanceHistoryEntry[] | undefined> {
      customerPath(customer.uuid); // refuses an empty uuid before any call

      if (settings.balanceHistory === 'none') return undefined;
      const sources =
        settings.balanceHistory === 'auto' ? BALANCE_HISTORY_SOURCES : [settings.balanceHistory];
      for (const source of sources) {
        const probe = await historyFrom(source, customer);
        if (probe.kind === 'ledger') return probe.entries;
        // A history that answered but cannot be read exactly is not retried under another guessed path.
        if (probe.kind === 'unreadable') return undefined;
      }
      return undefined;
    },
  };

  /**
   * Reads `{"balance": …}` at `path`, as the reference shows the per-customer command answering. A definite
   * refusal (404, 400…) or an answer without a balance means "not this path": `undefined`, so the next candidate
   * is tried. Transient and auth errors are thrown: the caller (the state machine) retries them.
   */
  async function balanceAt(path: string): Promise<Millis | undefined> {
    let result: unknown;
    try {
      ({ result } = await request('GET', path));
    } catch (error) {
      if (error instanceof YayRejected) return undefined;
      throw error;
    }
    const parsed = BalanceSchema.safeParse(result);
    return parsed.success ? readAmount(`GET ${path}`, parsed.data.balance) : undefined;
  }

  async function balanceFrom(
    source: CustomerBalanceSource,
    customer: { uuid: string; name: string },
  ): Promise<Millis | undefined> {
    const path = customerPath(customer.uuid);
    switch (source) {
      case 'reseller-balance':
        return balanceAt(`/account/reseller-balance/${encodeURIComponent(customer.uuid)}`);
      case 'reseller-uuid-balance':
        return balanceAt(`${path}/balance`);
      case 'customer-record':
        return balanceAt(path);
      case 'auth-for':
        return balanceOnBehalf(customer.name);
    }
  }

  /** The reseller's balance call run on behalf of the customer, `X-Auth-For: <name>`. */
  async function balanceOnBehalf(name: string): Promise<Millis | undefined> {
    // A name that cannot travel in the header cannot be asked about this way; the other paths may still answer.
    if (typeof name !== 'string' || !AUTH_FOR_SAFE.test(name)) return undefined;
    const before = await client.resellerBalance();
    let onBehalf: Millis;
    try {
      const { result } = await request('GET', '/account/balance', { authFor: name });
      const parsed = BalanceSchema.safeParse(result);
      if (!parsed.success) return undefined;
      onBehalf = readAmount('GET /account/balance (X-Auth-For)', parsed.data.balance);
    } catch (error) {
      if (error instanceof YayRejected) return undefined;
      throw error;
    }
    // A server that ignores X-Auth-For answers the reseller's own balance. That cannot be told apart
    // from a customer whose balance happens to equal it, so equality is undecidable, not a reading.
    const after = await client.resellerBalance();
    if (onBehalf === before || onBehalf === after) return undefined;
    return onBehalf;
  }

  async function historyFrom(
    source: BalanceHistorySource,
    customer: { uuid: string; name: string },
  ): Promise<HistoryProbe> {
    const path = customerPath(customer.uuid);
    const at =
      source === 'reseller-balance-history'
        ? `/account/reseller-balance/${encodeURIComponent(customer.uuid)}/history`
        : `${path}/balance/history`;
    try {
      const { result } = await request('GET', at);
      return readBalanceHistory(result);
    } catch (error) {
      if (error instanceof YayRejected) return { kind: 'notAnswered', status: error.statusCode };
      throw error;
    }
  }

  return client;
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

function customerPath(uuid: string): string {
  if (typeof uuid !== 'string' || uuid.trim() === '') throw new OrderInvalid('customer uuid is empty');
  return `/account/reseller/${encodeURIComponent(uuid)}`;
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

/**
 * The error for a status, each keeping the name the state machine retries or catches it by; Yay's own
 * `status_message` (already cleaned) is appended, as it is the only detail Yay's errors give.
 */
function statusError(context: string, status: number, statusMessage: string | undefined): Error {
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
function cleanStatusMessage(message: string | undefined, secrets: string[]): string | undefined {
  if (message === undefined) return undefined;
  // Redacted on the raw text, and again once whitespace is single spaces (a secret with a space, quoted across lines).
  const flat = redact(redact(message, secrets).replace(/[\p{Cc}\s]+/gu, ' '), secrets).trim();
  if (flat === '') return undefined;
  return flat.length > MAX_STATUS_MESSAGE ? `${flat.slice(0, MAX_STATUS_MESSAGE - 1)}…` : flat;
}

/** Every string under a `password` key of a request body, at any depth. */
function passwordsIn(body: unknown, depth = 0): string[] {
  if (depth > 5 || body === null || typeof body !== 'object') return [];
  return Object.entries(body).flatMap(([key, value]) =>
    key === 'password' && typeof value === 'string' ? [value] : passwordsIn(value, depth + 1),
  );
}

function transportError(
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

/** Amounts come back as numbers or strings, and balances may be negative; never a float inside. */
function readAmount(context: string, value: number | string): Millis {
  try {
    return readYayAmount(value);
  } catch (error) {
    throw new YayUnavailable(
      `${context}: Yay answered an unreadable balance: ${error instanceof Error ? error.message : String(error)}`,
      true,
    );
  }
}

function unexpectedBody(context: string, error: z.ZodError): YayUnavailable {
  return new YayUnavailable(`${context}: Yay answered an unexpected body (${describeIssues(error)})`, true);
}

/** Names the fields and what was wrong; zod 4 issue messages do not quote the values. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
