/**
 * The frame of every page, and the small pieces pages share. Rendered with hono's JSX, which escapes every text
 * and attribute value: nothing here builds HTML from strings.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { ActionId } from '../actions';

/** Where the console is served, in local mode and standalone alike. */
export const BASE = '/console';

type Params = Record<string, string | number | undefined>;

function query(params: Params): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Every address the pages link to. */
export const Paths = {
  home: () => `${BASE}/`,
  orders: (params: Params = {}) => `${BASE}/orders${query(params)}`,
  order: (orderKey: string, params: Params = {}) => `${BASE}/order${query({ key: orderKey, ...params })}`,
  act: (orderKey: string, action: ActionId) => `${BASE}/order/act${query({ key: orderKey, action })}`,
  overview: () => `${BASE}/overview`,
  asset: (name: string) => `${BASE}/assets/${name}`,
};

/** A time as people read it: `2026-11-27 06:00:00 UTC`. */
export function when(at: string | undefined): string {
  if (!at) return '—';
  return `${at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC`;
}

const STATE_TONE: Record<string, string> = {
  fulfilled: 'good',
  open: 'busy',
  awaiting_payment: 'busy',
  needs_attention: 'warn',
  failed: 'bad',
  expired: 'quiet',
  payment_failed: 'quiet',
  refunded: 'quiet',
  closed: 'quiet',
};

export const StateBadge: FC<{ state: string }> = ({ state }) => (
  <span class={`badge ${STATE_TONE[state] ?? 'quiet'}`}>{state.replaceAll('_', ' ')}</span>
);

type Section = 'attention' | 'orders' | 'overview';

export const Layout: FC<
  PropsWithChildren<{ title: string; active?: Section; where: string; scripts?: string[]; notice?: Child }>
> = ({ title, active, where, scripts = [], notice, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · Yay provisioning console`}</title>
      <link rel="stylesheet" href={Paths.asset('console.css')} />
      {scripts.map((name) => (
        <script src={Paths.asset(name)} defer />
      ))}
    </head>
    <body>
      <header class="top">
        <a class="brand" href={Paths.home()}>
          Yay provisioning
        </a>
        <nav>
          <a href={Paths.home()} aria-current={active === 'attention' ? 'page' : undefined}>
            Needs attention
          </a>
          <a href={Paths.orders()} aria-current={active === 'orders' ? 'page' : undefined}>
            Orders
          </a>
          <a href={Paths.overview()} aria-current={active === 'overview' ? 'page' : undefined}>
            Overview
          </a>
        </nav>
        <span class="where" title="what this console reads and acts on">
          {where}
        </span>
      </header>
      <main>
        {notice}
        {children}
      </main>
    </body>
  </html>
);

/** A page that only says something (not found, refused, changed meanwhile). */
export const MessagePage: FC<{
  title: string;
  where: string;
  message: string;
  back?: { href: string; label: string };
}> = ({ title, where, message, back }) => (
  <Layout title={title} where={where}>
    <h1>{title}</h1>
    <p class="message">{message}</p>
    {back ? (
      <p>
        <a href={back.href}>{back.label}</a>
      </p>
    ) : null}
  </Layout>
);

/** The page as sent: the doctype, then the rendered tree. */
export function documentOf(page: Child): string {
  return `<!DOCTYPE html>${String(page)}`;
}
