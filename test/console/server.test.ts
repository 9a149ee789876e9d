import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createNotificationStores } from '../../shared/store/dynamo-store';
import {
  attention,
  COOKIE,
  consoleSuite,
  formPost,
  hiddenFields,
  NOW,
  paidEvent,
  reviewOrder,
  send,
  TEST_SECRETS,
} from './support';

const SCRIPT = '<script>alert(1)</script>';

describe('operator console over HTTP', () => {
  const { open, get, dynamo, served } = consoleSuite();

  describe('state-changing requests', () => {
    it('refuses a POST without the form token, with a wrong one, from another origin or cross-site, and changes nothing', async () => {
      const { url, store } = await open();
      const orderKey = await reviewOrder(store, 'csrf1');
      const confirm = await get(
        `/console/order/act?key=${encodeURIComponent(orderKey)}&action=resolve-applied`,
      );
      const form: Record<string, string> = { ...hiddenFields(confirm.body), reason: 'checked in Yay' };
      const { csrf: _csrf, ...withoutToken } = form;

      const refused = [
        await formPost(url, withoutToken),
        await formPost(url, { ...form, csrf: 'guessed' }),
        await formPost(url, form, { origin: 'https://attacker.example' }),
        await formPost(url, form, { origin: 'null' }),
        await formPost(url, form, { 'sec-fetch-site': 'cross-site' }),
        await formPost(url, form, { 'sec-fetch-site': 'same-site' }),
        await formPost(url, form, { 'content-type': 'application/json' }),
      ];
      const unchanged = await store.getOrder(orderKey);
      const accepted = await formPost(url, form);

      expect(refused.map((answer) => answer.status)).toEqual(refused.map(() => 403));
      expect(refused[0]?.body).toContain('Nothing was changed');
      expect(unchanged).toMatchObject({ state: 'needs_attention', transfer: { status: 'NEEDS_REVIEW' } });
      expect(unchanged?.actions).toBeUndefined();
      expect(accepted.status).toBe(303);
      expect((await store.getIntent(orderKey))?.status).toBe('APPLIED');
    });

    it('resolves a transfer from its confirmation once: the same form sent again runs nothing', async () => {
      const { url, store } = await open();
      const orderKey = await reviewOrder(store, 'once1');
      const confirm = await get(
        `/console/order/act?key=${encodeURIComponent(orderKey)}&action=resolve-applied`,
      );
      const form = { ...hiddenFields(confirm.body), reason: 'balance checked in the Yay dashboard' };

      const first = await formPost(url, form);
      const landing = await get(String(first.headers.location));
      const second = await formPost(url, form);
      const after = await store.getOrder(orderKey);

      expect(confirm.body).toContain(orderKey);
      expect(confirm.body).toContain('10.000 GBP');
      expect(first.status).toBe(303);
      expect(landing.body).toContain('The transfer is now APPLIED; the order is fulfilled.');
      expect(second.status).toBe(409);
      expect(second.body).toContain('Nothing was done');
      expect(after).toMatchObject({ state: 'fulfilled', transfer: { status: 'APPLIED' } });
      expect(after?.actions).toEqual([
        {
          action: 'resolve-transfer',
          at: NOW.toISOString(),
          detail: 'applied',
          reason: 'balance checked in the Yay dashboard',
        },
      ]);
    });

    it('runs nothing without a reason, or when the order changed since its confirmation was shown', async () => {
      const { url, store } = await open();
      const orderKey = await reviewOrder(store, 'reason1');
      const confirm = await get(
        `/console/order/act?key=${encodeURIComponent(orderKey)}&action=resolve-not-applied`,
      );
      const form = hiddenFields(confirm.body);

      const blank = await formPost(url, { ...form, reason: '   ' });
      await store.recordAction(orderKey, { action: 'note', at: NOW.toISOString(), reason: 'someone else' });
      await store.transition(
        orderKey,
        ['NEEDS_REVIEW'],
        'NEEDS_REVIEW',
        { reason: 'looked again' },
        new Date(),
      );
      const stale = await formPost(url, { ...form, reason: 'not there' });

      expect(blank.status).toBe(400);
      expect(blank.body).toContain('A reason is required');
      expect(stale.status).toBe(409);
      expect(stale.body).toContain('The order changed since this confirmation was shown');
      expect((await store.getIntent(orderKey))?.status).toBe('NEEDS_REVIEW');
      expect(served().workflow.started).toEqual([]);
    });

    it('offers only what the order can take now: a fulfilled order has no decision to make', async () => {
      const { url, store } = await open();
      const event = paidEvent('done1');
      await store.record(event, 'e', NOW);
      await store.recordOutcome(event.orderKey, 'fulfilled', undefined, NOW);
      const key = encodeURIComponent(event.orderKey);

      const confirm = await get(`/console/order/act?key=${key}&action=resolve-applied`);
      const unknown = await get(`/console/order/act?key=${key}&action=delete-everything`);
      const posted = await formPost(url, {
        csrf: TEST_SECRETS.csrf,
        key: event.orderKey,
        action: 'close',
        reason: 'x',
      });
      const page = await get(`/console/order?key=${key}`);

      expect([confirm.status, unknown.status, posted.status]).toEqual([409, 409, 409]);
      expect(confirm.body).toContain('is not available for order');
      expect(page.body).toContain('>Replay</a>');
      expect(page.body).not.toContain('Credit was applied');
    });

    it('completes an order missing details with what was typed, refusing a bad country by name first', async () => {
      const { url, store, workflow } = await open();
      const event = paidEvent('missing1', { name: undefined, firstName: undefined, lastName: undefined });
      await store.record(event, 'e', NOW);
      await store.recordOutcome(event.orderKey, 'needs_attention', undefined, NOW, {
        attention: attention('missing_details', event.orderKey, ['buyer.firstName', 'buyer.lastName']),
      });
      const confirm = await get(
        `/console/order/act?key=${encodeURIComponent(event.orderKey)}&action=complete`,
      );
      const form = {
        ...hiddenFields(confirm.body),
        reason: 'phoned the buyer',
        firstName: 'Ada',
        lastName: 'Lovelace',
      };

      const badCountry = await formPost(url, { ...form, country: 'Britain' });
      const completed = await formPost(url, form);
      const after = await store.getOrder(event.orderKey);

      expect(confirm.body).toContain('(the order lacks this)');
      expect(badCountry.status).toBe(400);
      expect(badCountry.body).toContain(
        'Country must be a two-letter ISO code such as GB; got &quot;Britain&quot;',
      );
      expect(badCountry.body).toContain('value="Ada"');
      expect(completed.status).toBe(303);
      expect(after).toMatchObject({
        state: 'open',
        event: { buyer: { firstName: 'Ada', lastName: 'Lovelace' } },
      });
      expect(after?.actions).toEqual([
        expect.objectContaining({ action: 'complete', reason: 'phoned the buyer' }),
      ]);
      expect(workflow.started.map((started) => started.name)).toEqual([expect.stringMatching(/-r1$/)]);
    });

    it('offers "Resend welcome" only when that use case is wired, and runs it with the reason typed', async () => {
      const event = paidEvent('welcome1');
      const without = await open();
      await without.store.record(event, 'e', NOW);
      await without.store.recordCustomer(event, { uuid: 'u1', name: 'cwelcome' }, NOW);
      const plain = await get(`/console/order?key=${encodeURIComponent(event.orderKey)}`);
      await without.close();

      const calls: string[][] = [];
      const withIt = await open({
        resendWelcome: async (orderKey, reason) => {
          calls.push([orderKey, reason]);
          return 'The welcome was sent again.';
        },
      });
      await withIt.store.record(event, 'e', NOW);
      await withIt.store.recordCustomer(event, { uuid: 'u1', name: 'cwelcome' }, NOW);
      const offered = await get(`/console/order?key=${encodeURIComponent(event.orderKey)}`);
      const confirm = await get(
        `/console/order/act?key=${encodeURIComponent(event.orderKey)}&action=resend-welcome`,
      );
      const sent = await formPost(withIt.url, { ...hiddenFields(confirm.body), reason: 'buyer lost it' });

      expect(plain.body).not.toContain('Resend welcome');
      expect(offered.body).toContain('Resend welcome');
      expect(sent.status).toBe(303);
      expect(calls).toEqual([[event.orderKey, 'buyer lost it']]);
    });
  });

  describe('what is rendered', () => {
    it('shows a buyer named <script>alert(1)</script> as text on every page that names the buyer', async () => {
      const { url, store } = await open();
      const event = paidEvent('xss1', {
        name: SCRIPT,
        firstName: SCRIPT,
        email: 'xss@example.com',
      });
      const scripted = {
        ...event,
        address: { ...event.address, street_one: `"><img src=x onerror=alert(2)>` },
      };
      await store.record(scripted, 'e', NOW);
      await store.recordOutcome(event.orderKey, 'needs_attention', undefined, NOW, {
        attention: {
          ...attention('missing_details', event.orderKey, ['buyer.lastName']),
          message: `no last name for ${SCRIPT}`,
        },
      });
      const key = encodeURIComponent(event.orderKey);

      const pages = await Promise.all([
        get('/console/'),
        get('/console/orders?q=xss%40example.com'),
        get(`/console/order?key=${key}`),
        get(`/console/order/act?key=${key}&action=complete`),
      ]);
      const again = await formPost(url, {
        ...hiddenFields(pages[3]?.body ?? ''),
        reason: `</textarea>${SCRIPT}`,
        country: 'nowhere',
      });

      for (const page of [...pages, again]) {
        expect(page.body).not.toContain('<script>alert');
        expect(page.body).not.toContain('<img src=x');
      }
      for (const page of pages.slice(0, 3))
        expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(pages[2]?.body).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
      expect(again.body).toContain('&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
      expect((await send(url, '/console/', { headers: { cookie: COOKIE } })).body).not.toMatch(
        /<script>(?!<\/script>)/,
      );
    });

    it('shows each state’s input and output under its history line, as text', async () => {
      const event = { ...paidEvent('steps1'), kind: 'placed' as const };
      const input = JSON.stringify({ order: { buyer: { name: SCRIPT } } }, null, 2);
      const { store } = await open({
        history: async () => [
          { at: '2026-11-27T06:00:01.000Z', type: 'TaskStateEntered', state: 'Create customer', input },
          {
            at: '2026-11-27T06:00:02.000Z',
            type: 'TaskStateExited',
            state: 'Create customer',
            output: '{"ok":1}',
          },
        ],
      });
      await store.record(event, 'e', NOW);

      const page = await get(`/console/order?key=${encodeURIComponent(event.orderKey)}`);

      expect(page.status).toBe(200);
      expect(page.body).toMatch(
        /TaskStateEntered · Create customer<details class="step-data"><summary>input<\/summary><pre>/,
      );
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.body).not.toContain(SCRIPT);
      expect(page.body).toContain('<summary>output</summary><pre>{&quot;ok&quot;:1}</pre>');
    });

    it('never sends a task token or a sealed password, and never reads the password items', async () => {
      const client = dynamo().newClient();
      const keysRead: string[] = [];
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as {
            Key?: Record<string, unknown>;
            RequestItems?: Record<string, { Keys: unknown[] }>;
          };
          if (input.Key) keysRead.push(JSON.stringify(input.Key));
          for (const request of Object.values(input.RequestItems ?? {}))
            keysRead.push(JSON.stringify(request.Keys));
          return next(args);
        },
        { step: 'initialize', name: 'testKeysRead' },
      );
      const { store, tableName } = await open({ client });
      const token = `test-only-task-token-${randomBytes(6).toString('hex')}`;
      const sealed = `test-only-sealed-password-${randomBytes(6).toString('hex')}`;
      const event = { ...paidEvent('secret1'), kind: 'placed' as const };
      await store.record(event, 'e', NOW);
      await store.recordCustomer(event, { uuid: 'u-secret', name: 'csecret' }, NOW);
      await store.storeTaskToken(event.orderKey, token, NOW);
      const { passwords } = createNotificationStores({ tableName, client: dynamo().client });
      await passwords.keep('csecret', sealed, NOW);
      keysRead.length = 0;
      const key = encodeURIComponent(event.orderKey);

      const pages = await Promise.all(
        [
          '/console/',
          '/console/orders',
          `/console/orders?q=${encodeURIComponent(event.buyer?.email ?? '')}`,
          '/console/orders?q=csecret',
          `/console/order?key=${key}`,
          '/console/overview',
        ].map((path) => get(path)),
      );

      expect(pages.map((page) => page.status)).toEqual(pages.map(() => 200));
      expect(pages[4]?.body).toContain('waiting for the payment');
      for (const page of pages) {
        expect(page.body).not.toContain(token);
        expect(page.body).not.toContain(sealed);
      }
      expect(keysRead.join('\n')).not.toContain('PASSWORD');
    });
  });

  describe('the orders page', () => {
    it('pages 60 orders of one day 50 and 10, and finds one by its key', async () => {
      const { store } = await open();
      for (let i = 0; i < 60; i++) {
        await store.record(
          paidEvent(`page${String(i).padStart(2, '0')}`),
          'e',
          new Date(NOW.getTime() + i * 1000),
        );
      }

      const first = await get('/console/orders?from=2026-11-27&to=2026-11-27');
      const next = (first.body.match(/<a rel="next" href="([^"]+)"/)?.[1] ?? '').replaceAll('&amp;', '&');
      const second = await get(next);
      const byKey = await get('/console/orders?q=stripe%3Aacct_test%3Apage07');
      const rows = (html: string) => [...html.matchAll(/<tr data-order="([^"]+)"/g)].map((match) => match[1]);

      expect(rows(first.body)).toHaveLength(50);
      expect(rows(first.body)[0]).toBe('stripe:acct_test:page59');
      expect(rows(second.body)).toHaveLength(10);
      expect(rows(second.body).at(-1)).toBe('stripe:acct_test:page00');
      expect(second.body).toContain('page 2');
      expect(second.body).not.toContain('rel="next"');
      expect(rows(byKey.body)).toEqual(['stripe:acct_test:page07']);
    });
  });
});
