import { describe, expect, it } from 'vitest';
import { ordersQuery } from '../../../console/pages/orders-model';
import { NOW } from '../support';

describe('ordersQuery', () => {
  const parse = (query: string) => ordersQuery(new URLSearchParams(query), NOW);

  it('defaults to the last 90 days up to today, first page, no filter', () => {
    expect(parse('')).toEqual({ query: { from: '2026-08-30', to: '2026-11-27', page: 1 }, problems: [] });
  });

  it('keeps the filters it can use and names the ones it cannot', () => {
    const { query, problems } = parse(
      'state=done&provider=paypal&store=shop.example.com&from=yesterday&page=3',
    );

    expect(query).toEqual({ from: '2026-08-30', to: '2026-11-27', store: 'shop.example.com', page: 3 });
    expect(problems).toEqual([
      'from must be a day (YYYY-MM-DD); the default is used',
      'no state "done"; not filtered by state',
      'no provider "paypal"; not filtered by provider',
    ]);
  });

  it('walks at most 366 days at a time', () => {
    const { query, problems } = parse('from=2020-01-01&to=2026-11-27&state=failed&provider=stripe');

    expect(query).toMatchObject({
      from: '2025-11-27',
      to: '2026-11-27',
      state: 'failed',
      provider: 'stripe',
    });
    expect(problems).toEqual(['at most 366 days at a time; from moved to 2025-11-27']);
  });
});
