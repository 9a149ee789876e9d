import { request as httpRequest } from 'node:http';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ConsoleSecrets } from '../../console/security';
import { serveConsole } from '../../console/server';
import type { ConsoleSources, HistoryEntry, OperatorActions } from '../../console/sources';
import type { Millis } from '../../shared/domain/credit';
import type { OrderEvent } from '../../shared/domain/order-event';
import type { Attention } from '../../shared/domain/order-state';
import {
  createDynamoStore,
  createNotificationStores,
  type DynamoStore,
} from '../../shared/store/dynamo-store';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite';
import { FakeWorkflow, recordingObservability } from '../shared/workflow/fakes';
import { orderEvent } from '../shared/workflow/fixtures';
import { outboundRecorder } from '../shared/workflow/outbound';

/** Fixed secrets, so a test can present the cookie or the form token it means to (or a wrong one). */
export const TEST_SECRETS: ConsoleSecrets = {
  token: 'test-only-console-token',
  csrf: 'test-only-csrf-token',
  cookieName: 'yay_console_test',
};

export const NOW = new Date('2026-11-27T06:00:00.000Z');

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request with exactly the headers given (node:http, not fetch: fetch forbids setting Host, Origin and
 * Sec-Fetch-Site, which are what these tests are about).
 */
export function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The cookie the token is exchanged for. */
export const COOKIE = `${TEST_SECRETS.cookieName}=${TEST_SECRETS.token}`;

/** A form as a browser sends it, from the console's own page. */
export function formPost(base: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return send(base, '/console/order/act', {
    method: 'POST',
    headers: {
      cookie: COOKIE,
      'content-type': 'application/x-www-form-urlencoded',
      origin: new URL(base).origin,
      'sec-fetch-site': 'same-origin',
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The hidden fields of the confirmation page's form. */
export function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) {
    fields[match[1] as string] = (match[2] as string).replaceAll('&quot;', '"').replaceAll('&amp;', '&');
  }
  return fields;
}

export interface TestConsole {
  url: string;
  tableName: string;
  store: DynamoStore;
  workflow: FakeWorkflow;
  close(): Promise<void>;
}

/** What {@link testSources} made: the sources, and the table and fake workflow behind them. */
export interface TestSources {
  sources: ConsoleSources;
  tableName: string;
  store: DynamoStore;
  workflow: FakeWorkflow;
}

/**
 * The console's sources over a fresh dynalite table and a fake workflow, wired as the console wires its own: the
 * one place the console tests build them. `overrides` replace any source (a failing balance, a history).
 */
export async function testSources(
  dynamo: LocalDynamo,
  options: { client?: LocalDynamo['client']; resendWelcome?: OperatorActions['resendWelcome'] } = {},
  overrides: Partial<ConsoleSources> = {},
): Promise<TestSources> {
  const client = options.client ?? dynamo.client;
  const tableName = await dynamo.newTable();
  const store = createDynamoStore({ tableName, client });
  const { emails } = createNotificationStores({ tableName, client });
  const workflow = new FakeWorkflow();
  const { observability } = recordingObservability(NOW);
  const sources: ConsoleSources = {
    where: 'a test table',
    store,
    emails,
    actions: {
      deps: {
        ...observability,
        orders: store,
        buyers: store,
        transfers: store,
        workflow,
        events: outboundRecorder().events,
      },
      ...(options.resendWelcome ? { resendWelcome: options.resendWelcome } : {}),
    },
    history: async () => [],
    resellerBalance: async () => 250_000 as Millis,
    now: () => NOW,
    close: () => undefined,
    ...overrides,
  };
  return { sources, tableName, store, workflow };
}

/** The sources a page model reads in its tests: {@link testSources} named `test`, a reseller balance of 50.000. */
export async function modelSources(
  dynamo: LocalDynamo,
  overrides: Partial<ConsoleSources> = {},
): Promise<ConsoleSources> {
  const made = await testSources(
    dynamo,
    {},
    { where: 'test', resellerBalance: async () => 50_000 as Millis, ...overrides },
  );
  return made.sources;
}

/**
 * For a suite of page-model tests: a dynalite started before the suite and stopped after it, and a function that
 * makes {@link modelSources} over a fresh table of it.
 */
export function pageModelSources(): (overrides?: Partial<ConsoleSources>) => Promise<ConsoleSources> {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  return (overrides = {}) => modelSources(dynamo, overrides);
}

/** The console over {@link testSources}, served on a free loopback port. */
export async function startTestConsole(
  dynamo: LocalDynamo,
  options: {
    client?: LocalDynamo['client'];
    resendWelcome?: OperatorActions['resendWelcome'];
    history?: (arn: string) => Promise<HistoryEntry[] | undefined>;
  } = {},
): Promise<TestConsole> {
  const { sources, tableName, store, workflow } = await testSources(
    dynamo,
    {
      ...(options.client ? { client: options.client } : {}),
      ...(options.resendWelcome ? { resendWelcome: options.resendWelcome } : {}),
    },
    options.history ? { history: options.history } : {},
  );
  const served = await serveConsole({
    sources,
    host: '127.0.0.1',
    port: 0,
    loopbackOnly: true,
    secrets: TEST_SECRETS,
    report: () => undefined,
  });
  return { url: new URL(served.url).origin, tableName, store, workflow, close: served.close };
}

/**
 * For a suite of console tests over HTTP: a dynalite for the suite, a console opened per test (closed after it), and
 * a GET with the signed-in cookie.
 */
export function consoleSuite() {
  let dynamo: LocalDynamo;
  let served: TestConsole | undefined;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });
  const open = async (options: Parameters<typeof startTestConsole>[1] = {}) => {
    served = await startTestConsole(dynamo, options);
    return served;
  };
  const get = (path: string, headers: Record<string, string> = {}) =>
    send((served as TestConsole).url, path, { headers: { cookie: COOKIE, ...headers } });
  /** The console this test opened (it must have opened one). */
  const current = () => served as TestConsole;
  return { open, get, served: current, dynamo: () => dynamo };
}

/** A paid order of its own buyer, recorded as dispatch records it. */
export function paidEvent(orderId: string, buyer: OrderEvent['buyer'] = {}): OrderEvent {
  return orderEvent({
    kind: 'paid',
    orderId,
    orderKey: `stripe:acct_test:${orderId}`,
    buyerKey: `stripe:acct_test:cus_${orderId}`,
    buyer: {
      name: 'Geoff Wilson',
      firstName: 'Geoff',
      lastName: 'Wilson',
      email: `${orderId}@example.com`,
      ...buyer,
    },
  });
}

/** An order whose transfer could not be decided: parked for `ops resolve-transfer`, as the workflow leaves it. */
export async function reviewOrder(store: DynamoStore, orderId: string): Promise<string> {
  const event = paidEvent(orderId);
  await store.record(event, `exec-${orderId}`, NOW);
  await store.recordCustomer(event, { uuid: `uuid-${orderId}`, name: `c${orderId}` }, NOW);
  await store.planIntent(
    event.orderKey,
    { customerUuid: `uuid-${orderId}`, customerName: `c${orderId}` },
    NOW,
  );
  await store.transition(
    event.orderKey,
    ['PENDING'],
    'IN_FLIGHT',
    { amount: 10_000, incrementAttempts: true },
    NOW,
  );
  await store.transition(event.orderKey, ['IN_FLIGHT'], 'UNKNOWN', {}, NOW);
  await store.transition(event.orderKey, ['UNKNOWN'], 'NEEDS_REVIEW', { reason: 'no snapshot' }, NOW);
  await store.recordOutcome(event.orderKey, 'needs_attention', undefined, NOW, {
    attention: attention('transfer_review', event.orderKey),
  });
  return event.orderKey;
}

export function attention(reason: Attention['reason'], orderKey: string, fields?: string[]): Attention {
  return {
    reason,
    message: `waiting: ${reason}`,
    action: `npm run ops -- ${reason} '${orderKey}'`,
    since: NOW.toISOString(),
    ...(fields ? { fields } : {}),
  };
}
