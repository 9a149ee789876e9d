import type { FC } from 'hono/jsx';
import type { AttentionGroup } from './attention-model';
import { Layout, Paths, StateBadge, when } from './layout';

/** The home page: everything that waits for a person, each with its reason, its money and the one way out. */
export const AttentionPage: FC<{ where: string; groups: AttentionGroup[] }> = ({ where, groups }) => {
  const total = groups.reduce((sum, group) => sum + group.items.length, 0);
  return (
    <Layout title="Needs attention" active="attention" where={where}>
      <h1>Needs attention</h1>
      <p class="lead">
        {total === 0
          ? 'Nothing waits for a person.'
          : `${total} order${total === 1 ? '' : 's'} wait${total === 1 ? 's' : ''} for a person, oldest first in each group.`}
      </p>
      {groups.map((group) => (
        <section class="group" aria-label={group.title}>
          <h2>
            {group.title} <span class="count">{group.items.length}</span>
          </h2>
          <p class="explains">{group.explains}</p>
          {group.items.length === 0 ? (
            <p class="empty">None.</p>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th>Order</th>
                  <th>Why</th>
                  <th class="num">Credit</th>
                  <th>Since</th>
                  <th>Resolve</th>
                </tr>
              </thead>
              <tbody>
                {group.items.map((item) => (
                  <tr data-order={item.orderKey}>
                    <td>
                      <a class="key" href={Paths.order(item.orderKey)}>
                        {item.orderKey}
                      </a>
                      <div class="sub">
                        <StateBadge state={item.state} /> {item.buyerName ?? ''}
                        {item.buyerEmail ? ` <${item.buyerEmail}>` : ''}
                      </div>
                    </td>
                    <td>
                      <strong>{item.reason.replaceAll('_', ' ')}</strong>
                      <div class="sub">{item.message}</div>
                    </td>
                    <td class="num">{item.credit}</td>
                    <td class="nowrap">{when(item.since)}</td>
                    <td class="actions">
                      {item.actions.map((action) => (
                        <a class="button" href={Paths.act(item.orderKey, action.id)}>
                          {action.label}
                        </a>
                      ))}
                      <details class="cli">
                        <summary>CLI</summary>
                        <code>{item.command}</code>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </Layout>
  );
};
