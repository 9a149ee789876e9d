/**
 * The console's security model (console/README.md, "Security"):
 * - a random token made at each start, printed once in the `console …` URL; `?token=` is exchanged for an HttpOnly,
 *   SameSite=Strict cookie and dropped from the address bar. Any request without it gets 401 and an empty body;
 * - bound to loopback, a request naming any other host is refused the same way (DNS rebinding);
 * - every state-changing request is a POST from the console's own origin (Origin and Sec-Fetch-Site) carrying the
 *   per-start CSRF token of its form; anything else is refused before a handler runs, so it changes nothing;
 * - every response says: no caching, no framing, no referrer to another site, scripts and styles from the console only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

/** What one start of the console is protected by. Never logged, never sent but as the start line and the cookie. */
export interface ConsoleSecrets {
  /** The token in the printed URL and in the cookie. */
  token: string;
  /** The token every form carries. */
  csrf: string;
  /** Named after the token, so two consoles on one host (cookies ignore ports) never overwrite each other's. */
  cookieName: string;
}

export function newSecrets(): ConsoleSecrets {
  const token = randomBytes(24).toString('base64url');
  return {
    token,
    csrf: randomBytes(24).toString('base64url'),
    cookieName: `yay_console_${createHash('sha256').update(token).digest('hex').slice(0, 12)}`,
  };
}

/** A constant-time comparison of two strings of any length. */
export function sameSecret(offered: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(offered), digest(expected));
}

/** A loopback name or address, as a URL's hostname (or `--host`) writes it. */
export function isLoopback(host: string): boolean {
  return ['localhost', '::1', '[::1]'].includes(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The form a guarded POST carried, parsed once by {@link guardPosts}. */
export type ConsoleEnv = { Variables: { form: Record<string, string> } };

/** The headers every response carries, a refusal included. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    headers.set('x-content-type-options', 'nosniff');
    headers.set('x-frame-options', 'DENY');
    // Not no-referrer: under it a browser sends `Origin: null` with its own same-origin form posts (Fetch,
    // "serializing a request origin"), which the origin check must refuse. No address here carries the token.
    headers.set('referrer-policy', 'same-origin');
    headers.set('cross-origin-opener-policy', 'same-origin');
    headers.set('cross-origin-resource-policy', 'same-origin');
    if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
  };
}

/** 401 with nothing in it: what every request without the token gets. */
function unauthorized(c: Context): Response {
  return c.body(null, 401);
}

/**
 * The token check. `?token=<token>` sets the cookie and redirects to the same address without it (so it stays out
 * of history and is never sent on); after that the cookie alone is accepted. `loopbackOnly`: a Host header that
 * is not a loopback name is refused, whatever it carries.
 */
export function requireToken(
  secrets: ConsoleSecrets,
  options: { base: string; loopbackOnly: boolean },
): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (options.loopbackOnly && !isLoopback(url.hostname)) return unauthorized(c);
    const offered = url.searchParams.get('token');
    if (offered !== null) {
      if (!sameSecret(offered, secrets.token)) return unauthorized(c);
      url.searchParams.delete('token');
      setCookie(c, secrets.cookieName, secrets.token, {
        httpOnly: true,
        sameSite: 'Strict',
        path: options.base,
      });
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    const cookie = getCookie(c, secrets.cookieName);
    if (cookie === undefined || !sameSecret(cookie, secrets.token)) return unauthorized(c);
    await next();
  };
}

/** Forms are small: a completion is a few short fields and a reason. */
const MAX_FORM_BYTES = 64 * 1024;

/**
 * Every method but GET and HEAD is state-changing: it must come from this origin (Origin, when the browser sends
 * it; Sec-Fetch-Site, when it sends that) as a form carrying the CSRF token. Refused with 403 before any handler.
 */
export function guardPosts(secrets: ConsoleSecrets): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const refuse = (why: string) => c.text(`Refused: ${why}. Nothing was changed.`, 403);
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') return refuse(`a ${site} request`);
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== new URL(c.req.url).origin)
      return refuse('a request from another origin');
    if (!c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded')) {
      return refuse('not a form');
    }
    if (Number(c.req.header('content-length') ?? 0) > MAX_FORM_BYTES) return refuse('the form is too large');
    const raw = await c.req.text();
    if (Buffer.byteLength(raw, 'utf8') > MAX_FORM_BYTES) return refuse('the form is too large');
    const form: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(raw)) form[name] = value;
    if (form.csrf === undefined || !sameSecret(form.csrf, secrets.csrf))
      return refuse('the form token is missing or wrong');
    c.set('form', form);
    await next();
  };
}
