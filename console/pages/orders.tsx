import type { FC } from 'hono/jsx';
import { Providers } from '../../shared/domain/keys';
import { OrderStates } from '../../shared/domain/order-state';
import { Layout, Paths, StateBadge, when } from './layout';
import type { OrderRow, OrdersModel } from './orders-model';

export const OrderTable: FC<{ rows: OrderRow[] }> = ({ rows }) => (
  <table class="list">
    <thead>
      <tr>
        <th>Created</th>
        <th>Order</th>
        <th>State</th>
        <th>Payment</th>
        <th class="num">Credit</th>
        <th>Buyer</th>
        <th>Yay customer</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((row) => (
        <tr data-order={row.orderKey}>
          <td class="nowrap">{when(row.createdAt)}</td>
          <td>
            <a class="key" href={Paths.order(row.orderKey)}>
              {row.orderKey}
            </a>
          </td>
          <td>
            <StateBadge state={row.state} />
          </td>
          <td>
            {row.payment}
            {row.refunded ? ', refunded' : ''}
          </td>
          <td class="num">{row.credit}</td>
          <td>
            {row.buyerName ?? ''}
            {row.buyerEmail ? <div class="sub">{row.buyerEmail}</div> : null}
          </td>
          <td class="mono">{row.customerName ?? '—'}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

/** Every order, filtered by state, provider, store and days, or found by key, e-mail or customer name; paged. */
export const OrdersPage: FC<{ where: string; model: OrdersModel }> = ({ where, model }) => {
  const { query } = model;
  const filters = {
    state: query.state,
    provider: query.provider,
    store: query.store,
    from: query.from,
    to: query.to,
  };
  return (
    <Layout title="Orders" active="orders" where={where}>
      <h1>Orders</h1>
      <form class="search" method="get" action={Paths.orders()}>
        <label>
          Search
          <input
            type="search"
            name="q"
            value={query.search ?? ''}
            placeholder="order key, buyer e-mail or Yay customer name (exact)"
            size={60}
          />
        </label>
        <button type="submit">Find</button>
      </form>
      <form class="filters" method="get" action={Paths.orders()}>
        <label>
          State
          <select name="state">
            <option value="">any</option>
            {OrderStates.map((state) => (
              <option value={state} selected={state === query.state}>
                {state.replaceAll('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Provider
          <select name="provider">
            <option value="">any</option>
            {Providers.map((provider) => (
              <option value={provider} selected={provider === query.provider}>
                {provider}
              </option>
            ))}
          </select>
        </label>
        <label>
          Store
          <input name="store" value={query.store ?? ''} placeholder="store id, exact" />
        </label>
        <label>
          From
          <input type="date" name="from" value={query.from} />
        </label>
        <label>
          To
          <input type="date" name="to" value={query.to} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {model.problems.map((problem) => (
        <p class="problem">{problem}</p>
      ))}
      {model.searchedBy !== undefined ? (
        <p class="lead">
          {model.rows.length === 0
            ? `No order found by ${model.searchedBy}.${
                model.searchedBy.startsWith('Yay customer')
                  ? ' (An order key starts with its provider: stripe:default:cs_…)'
                  : ''
              }`
            : `${model.rows.length}${model.more ? '+' : ''} found by ${model.searchedBy}${model.more ? ' (the newest shown)' : ''}.`}{' '}
          <a href={Paths.orders()}>All orders</a>
        </p>
      ) : (
        <p class="lead">
          Created {query.from} to {query.to} (UTC), newest first · page {query.page}
        </p>
      )}
      {model.rows.length > 0 ? (
        <OrderTable rows={model.rows} />
      ) : model.searchedBy ? null : (
        <p class="empty">No orders.</p>
      )}
      {model.searchedBy === undefined ? (
        <nav class="pager" aria-label="pages">
          {query.page > 1 ? <a href={Paths.orders(filters)}>First page</a> : null}
          {model.next ? (
            <a rel="next" href={Paths.orders({ ...filters, cursor: model.next, page: query.page + 1 })}>
              Next page
            </a>
          ) : null}
        </nav>
      ) : null}
    </Layout>
  );
};
