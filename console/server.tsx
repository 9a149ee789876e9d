/**
 * The operator console: server-rendered pages over the console's sources, behind the token and the CSRF guard of
 * console/security.ts. Served by `npm run console` (bin/console.ts) and by local mode at `/console`
 * (mounted on its front door: console/local-mode.ts). Forms POST; the only script is the Overview's charts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { listen } from '../local/listen';
import { isConnectionError } from '../ops/target';
import { formatCredit } from '../shared/domain/credit';
import { ErrorNames } from '../shared/errors';
import {
  type ActionDefinition,
  actionById,
  creditText,
  FormError,
  type FormValues,
  fingerprint,
  type OrderDetails,
} from './actions';
import { AttentionPage } from './pages/attention';
import { attentionGroups } from './pages/attention-model';
import { type ConfirmModel, ConfirmPage } from './pages/confirm';
import { BASE, documentOf, MessagePage, Paths } from './pages/layout';
import { OrderPage } from './pages/order';
import { orderModel } from './pages/order-model';
import { OrdersPage } from './pages/orders';
import { ordersModel, ordersQuery } from './pages/orders-model';
import { OverviewPage } from './pages/overview';
import { overviewModel } from './pages/overview-model';
import {
  type ConsoleEnv,
  type ConsoleSecrets,
  guardPosts,
  newSecrets,
  requireToken,
  securityHeaders,
} from './security';
import type { ConsoleSources } from './sources';

export interface ConsoleOptions {
  sources: ConsoleSources;
  /** Served on a loopback address only: a request naming another host is refused (DNS rebinding). */
  loopbackOnly: boolean;
  /** Default: new ones (tests pass their own). */
  secrets?: ConsoleSecrets;
  /** Where an unexpected error is reported (its name and message; never a secret). Default stderr. */
  report?: (line: string) => void;
}

export interface OperatorConsole {
  readonly app: Hono<ConsoleEnv>;
  readonly secrets: ConsoleSecrets;
  /** The address to open, token included: `<origin>/console/?token=…`. */
  urlFor(origin: string): string;
  /** The console as a node:http listener (local mode routes `/console` to it). */
  readonly listener: RequestListener;
}

const requireFromHere = createRequire(import.meta.url);

/** The static files, read once: ours beside this module, Chart.js from its package (never a CDN). */
function loadAssets(): Map<string, { body: string; type: string }> {
  const own = join(import.meta.dirname, 'assets');
  const chart = join(dirname(requireFromHere.resolve('chart.js')), 'chart.umd.min.js');
  return new Map([
    [
      'console.css',
      { body: readFileSync(join(own, 'console.css'), 'utf8'), type: 'text/css; charset=utf-8' },
    ],
    [
      'overview.js',
      { body: readFileSync(join(own, 'overview.js'), 'utf8'), type: 'text/javascript; charset=utf-8' },
    ],
    ['chart.umd.min.js', { body: readFileSync(chart, 'utf8'), type: 'text/javascript; charset=utf-8' }],
  ]);
}

/** What a finished action said, kept for the Order page the browser is sent to next (by a random id, not its text). */
class Outcomes {
  readonly #said = new Map<string, string>();

  keep(sentence: string): string {
    const id = randomBytes(9).toString('base64url');
    this.#said.set(id, sentence);
    // A few recent ones are enough: it is read once, right after the redirect.
    for (const old of this.#said.keys()) {
      if (this.#said.size <= 100) break;
      this.#said.delete(old);
    }
    return id;
  }

  take(id: string | undefined): string | undefined {
    if (!id) return undefined;
    const sentence = this.#said.get(id);
    this.#said.delete(id);
    return sentence;
  }
}

export function createConsole(options: ConsoleOptions): OperatorConsole {
  const { sources } = options;
  const secrets = options.secrets ?? newSecrets();
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  const assets = loadAssets();
  const outcomes = new Outcomes();
  const where = sources.where;
  const app = new Hono<ConsoleEnv>();

  const page = (c: Context<ConsoleEnv>, content: Child, status: 200 | 400 | 404 | 409 | 500 | 502 = 200) =>
    c.html(documentOf(content), status);
  const message = (
    c: Context<ConsoleEnv>,
    status: 404 | 409 | 500 | 502,
    title: string,
    text: string,
    back = true,
  ) =>
    page(
      c,
      <MessagePage
        title={title}
        where={where}
        message={text}
        {...(back ? { back: { href: Paths.home(), label: 'Back to what needs attention' } } : {})}
      />,
      status,
    );

  function confirmModel(
    action: ActionDefinition,
    order: OrderDetails,
    extra: Partial<ConfirmModel> = {},
  ): ConfirmModel {
    const amount =
      action.id.startsWith('resolve') && order.transfer
        ? `${formatCredit(order.transfer.amount)} GBP`
        : creditText(order);
    return {
      action,
      orderKey: order.orderKey,
      state: order.state,
      amount,
      ...(order.customerName ? { customerName: order.customerName } : {}),
      consequence: action.consequence(order),
      fields: action.fields?.(order) ?? [],
      expect: fingerprint(order),
      csrf: secrets.csrf,
      ...extra,
    };
  }

  app.use('*', securityHeaders());
  app.use('*', requireToken(secrets, { base: BASE, loopbackOnly: options.loopbackOnly }));
  app.use('*', guardPosts(secrets));

  app.get('/', (c) => c.redirect(Paths.home(), 302));
  app.get(BASE, (c) => c.redirect(Paths.home(), 302));

  app.get(`${BASE}/`, async (c) =>
    page(c, <AttentionPage where={where} groups={await attentionGroups(sources)} />),
  );

  app.get(`${BASE}/orders`, async (c) => {
    const { query, problems } = ordersQuery(new URL(c.req.url).searchParams, sources.now());
    return page(c, <OrdersPage where={where} model={await ordersModel(sources, query, problems)} />);
  });

  app.get(`${BASE}/order`, async (c) => {
    const orderKey = c.req.query('key')?.trim() ?? '';
    const model = orderKey ? await orderModel(sources, orderKey) : undefined;
    if (!model)
      return message(
        c,
        404,
        'Order not found',
        `No order ${orderKey || '(none given)'} is recorded in ${where}.`,
      );
    const done = outcomes.take(c.req.query('done'));
    return page(c, <OrderPage where={where} model={model} {...(done ? { done } : {})} />);
  });

  /** The order and the action a request names, or the page that says why not. */
  async function actionFor(
    c: Context<ConsoleEnv>,
    orderKey: string,
    actionId: string,
  ): Promise<{ order: OrderDetails; action: ActionDefinition } | Response> {
    const order = orderKey ? await sources.store.getOrder(orderKey) : undefined;
    if (!order)
      return message(
        c,
        404,
        'Order not found',
        `No order ${orderKey || '(none given)'} is recorded in ${where}.`,
      );
    const action = actionById(actionId);
    if (!action?.offered(order, sources.actions)) {
      return page(
        c,
        <MessagePage
          title="Not available"
          where={where}
          message={`${action ? `"${action.label}"` : 'That action'} is not available for order ${orderKey} now: it is ${order.state}${
            order.transfer ? `, its transfer ${order.transfer.status}` : ''
          }. Nothing was done.`}
          back={{ href: Paths.order(orderKey), label: 'Look at the order' }}
        />,
        409,
      );
    }
    return { order, action };
  }

  app.get(`${BASE}/order/act`, async (c) => {
    const found = await actionFor(c, c.req.query('key')?.trim() ?? '', c.req.query('action') ?? '');
    if (found instanceof Response) return found;
    return page(c, <ConfirmPage where={where} model={confirmModel(found.action, found.order)} />);
  });

  app.post(`${BASE}/order/act`, async (c) => {
    const form: FormValues = c.get('form');
    const orderKey = form.key?.trim() ?? '';
    const found = await actionFor(c, orderKey, form.action ?? '');
    if (found instanceof Response) return found;
    const { order, action } = found;
    const again = (problem: string, status: 400 | 409) =>
      page(
        c,
        <ConfirmPage where={where} model={confirmModel(action, order, { values: form, problem })} />,
        status,
      );
    if (form.expect !== fingerprint(order)) {
      return again(
        'The order changed since this confirmation was shown (someone acted on it, or it moved on). Nothing was done: ' +
          'read it again below, then confirm if it still applies.',
        409,
      );
    }
    const reason = form.reason?.trim() ?? '';
    if (!reason) return again('A reason is required: it is kept on the order. Nothing was done.', 400);
    if (reason.length > 500) return again('The reason is longer than 500 characters. Nothing was done.', 400);
    try {
      const said = await action.run(sources.actions, order, reason, form);
      return c.redirect(Paths.order(orderKey, { done: outcomes.keep(said) }), 303);
    } catch (error) {
      if (error instanceof FormError) return again(`${error.message}.`.replace(/\.\.$/, '.'), 400);
      // The use cases refuse, before writing, in words meant for the operator (not waiting, resumed by someone
      // else just now). Anything else may have come part way: the error page says to look before acting again.
      if (!(error instanceof Error) || error.name !== ErrorNames.OrderInvalid) throw error;
      return again(`${error.message}. Nothing was done.`, 409);
    }
  });

  app.get(`${BASE}/overview`, async (c) =>
    page(c, <OverviewPage where={where} model={await overviewModel(sources)} />),
  );

  app.get(`${BASE}/assets/:name`, (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.body(null, 404);
    c.header('content-type', asset.type);
    c.header('cache-control', 'private, max-age=300');
    return c.body(asset.body);
  });

  app.notFound((c) =>
    message(c, 404, 'Not found', `The console has no page at ${new URL(c.req.url).pathname}.`),
  );

  app.onError((error, c) => {
    report(`console: ${c.req.method} ${new URL(c.req.url).pathname} failed: ${error.name}: ${error.message}`);
    if (isConnectionError(error)) {
      return message(c, 502, 'Cannot reach the data', `The console cannot reach ${where}: ${error.message}`);
    }
    return message(
      c,
      500,
      'Something went wrong',
      `${error.name}: ${error.message}. Look at the order before acting again: every action finishes what a repeat finds half done.`,
    );
  });

  return {
    app,
    secrets,
    urlFor: (origin) => `${origin}${Paths.home()}?token=${encodeURIComponent(secrets.token)}`,
    listener: getRequestListener(app.fetch),
  };
}

/** `npm run console`: the console on its own server. Resolves once listening. */
export async function serveConsole(
  options: ConsoleOptions & { host: string; port: number },
): Promise<{ url: string; console: OperatorConsole; close(): Promise<void> }> {
  const operatorConsole = createConsole(options);
  const server = await listen(operatorConsole.listener, {
    port: options.port,
    host: options.host,
    inUse: (port) => `port ${port} is already in use: pass --port <free port> (or 0 for any)`,
  });
  return {
    url: operatorConsole.urlFor(server.url),
    console: operatorConsole,
    close: () => server.close(),
  };
}
