import { describe, expect, it } from 'vitest';
import { newSecrets } from '../../console/security';
import { createConsole } from '../../console/server';
import type { ConsoleSources } from '../../console/sources';
import { COOKIE, consoleSuite, reviewOrder, send, TEST_SECRETS } from './support';

describe('the console behind its token', () => {
  const { open, get, served } = consoleSuite();

  describe('the token', () => {
    it('answers 401 with an empty body to every request without it, whatever the path or method', async () => {
      const { url, store } = await open();
      const orderKey = await reviewOrder(store, 'tok1');
      const paths = [
        '/',
        '/console',
        '/console/',
        '/console/orders',
        `/console/order?key=${encodeURIComponent(orderKey)}`,
        `/console/order/act?key=${encodeURIComponent(orderKey)}&action=resolve-applied`,
        '/console/overview',
        '/console/assets/console.css',
        '/console/assets/chart.umd.min.js',
        '/console/no-such-page',
        '/elsewhere',
      ];

      const answers = [
        ...(await Promise.all(paths.map((path) => send(url, path)))),
        await send(url, '/console/?token=wrong-token'),
        await send(url, '/console/', { headers: { cookie: `${TEST_SECRETS.cookieName}=wrong-token` } }),
        await send(url, '/console/', { headers: { cookie: `other_cookie=${TEST_SECRETS.token}` } }),
        await send(url, '/console/order/act', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `csrf=${TEST_SECRETS.csrf}&key=${encodeURIComponent(orderKey)}&action=resolve-applied&reason=x`,
        }),
      ];

      expect(answers.map((answer) => [answer.status, answer.body])).toEqual(answers.map(() => [401, '']));
      expect((await store.getIntent(orderKey))?.status).toBe('NEEDS_REVIEW');
    });

    it('exchanges ?token= for an HttpOnly, SameSite=Strict cookie and sends the browser on without it', async () => {
      const { url } = await open();

      const exchanged = await send(url, `/console/orders?state=failed&token=${TEST_SECRETS.token}`);
      const cookie = String(exchanged.headers['set-cookie']);
      const withCookie = await send(url, '/console/orders?state=failed', {
        headers: { cookie: cookie.split(';')[0] as string },
      });

      expect(exchanged.status).toBe(303);
      expect(exchanged.headers.location).toBe('/console/orders?state=failed');
      expect(cookie).toMatch(new RegExp(`^${TEST_SECRETS.cookieName}=${TEST_SECRETS.token}; `));
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).toContain('Path=/console');
      expect(withCookie.status).toBe(200);
      expect(withCookie.body).toContain('<h1>Orders</h1>');
    });

    it('refuses a request that names a host other than loopback, token or not (DNS rebinding)', async () => {
      const { url } = await open();
      const port = new URL(url).port;

      const rebound = await send(url, '/console/', {
        headers: { cookie: COOKIE, host: `attacker.example:${port}` },
      });
      const tokenToo = await send(url, `/console/?token=${TEST_SECRETS.token}`, {
        headers: { host: 'attacker.example' },
      });
      const localhost = await send(url, '/console/', {
        headers: { cookie: COOKIE, host: `localhost:${port}` },
      });

      expect([rebound.status, rebound.body]).toEqual([401, '']);
      expect([tokenToo.status, tokenToo.body]).toEqual([401, '']);
      expect(localhost.status).toBe(200);
    });

    it('makes a new random token and form token at each start, and one start refuses the other cookie', () => {
      const [first, second] = [newSecrets(), newSecrets()];
      const sources = {} as ConsoleSources;
      const one = createConsole({ sources, loopbackOnly: true, secrets: first });

      expect(first.token).not.toBe(second.token);
      expect(first.csrf).not.toBe(second.csrf);
      expect(first.cookieName).not.toBe(second.cookieName);
      expect(first.token.length).toBeGreaterThanOrEqual(32);
      expect(one.urlFor('http://127.0.0.1:3100')).toBe(`http://127.0.0.1:3100/console/?token=${first.token}`);
    });

    it('sends every page with headers that forbid framing, caching, referrers and foreign scripts', async () => {
      await open();

      const page = await get('/console/');
      const refused = await send(served().url, '/console/');

      for (const answer of [page, refused]) {
        expect(answer.headers['content-security-policy']).toContain("script-src 'self'");
        expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(answer.headers['x-frame-options']).toBe('DENY');
        expect(answer.headers['referrer-policy']).toBe('same-origin');
        expect(answer.headers['cache-control']).toBe('no-store');
      }
    });
  });
});
