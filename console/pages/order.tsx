import type { FC } from 'hono/jsx';
import { Layout, Paths, StateBadge, when } from './layout';
import type { OrderModel } from './order-model';

const Field: FC<{ label: string; value: string | number | undefined }> = ({ label, value }) => (
  <>
    <dt>{label}</dt>
    <dd>{value === undefined || value === '' ? '—' : value}</dd>
  </>
);

/** One order: its states over time, its Yay customer, its transfer, what was sent and published, what people did. */
export const OrderPage: FC<{ where: string; model: OrderModel; done?: string }> = ({
  where,
  model,
  done,
}) => {
  const { row } = model;
  return (
    <Layout
      title={row.orderKey}
      where={where}
      notice={
        done ? (
          <p class="notice" role="status">
            {done}
          </p>
        ) : undefined
      }
    >
      <p class="crumbs">
        <a href={Paths.orders()}>Orders</a> ›
      </p>
      <h1 class="key">{row.orderKey}</h1>
      <p class="lead">
        <StateBadge state={row.state} /> {row.credit} · payment {row.payment}
        {row.refunded ? ', refunded' : ''}
        {model.waitingForPayment ? ' · waiting for the payment' : ''}
      </p>

      {model.attention ? (
        <section class="attention-box" aria-label="waits for a person">
          <h2>Waits for a person: {model.attention.reason.replaceAll('_', ' ')}</h2>
          <p>{model.attention.message}</p>
          <p class="sub">
            since {when(model.attention.since)} · CLI: <code>{model.attention.command}</code>
          </p>
        </section>
      ) : null}

      {model.offered.length > 0 ? (
        <section class="order-actions" aria-label="actions">
          {model.offered.map((action) => (
            <a class="button" href={Paths.act(row.orderKey, action.id)}>
              {action.label}
            </a>
          ))}
        </section>
      ) : null}

      <div class="columns">
        <section>
          <h2>Order</h2>
          <dl>
            <Field label="Created" value={when(row.createdAt)} />
            <Field label="Paid" value={model.paidAt ? when(model.paidAt) : undefined} />
            <Field label="Updated" value={when(model.updatedAt)} />
            <Field label="Outcome" value={model.outcome} />
            <Field label="Replays" value={model.replays} />
            <Field
              label="Last error"
              value={
                model.lastError
                  ? `${model.lastError.name}${model.lastError.message ? `: ${model.lastError.message}` : ''}`
                  : undefined
              }
            />
          </dl>
        </section>
        <section>
          <h2>Buyer and Yay customer</h2>
          <dl>
            <Field label="Buyer" value={row.buyerName} />
            <Field label="E-mail" value={row.buyerEmail} />
            <Field label="Phone" value={model.buyerPhone} />
            <Field label="Address" value={model.address} />
            <Field label="Buyer key" value={model.buyerKey} />
            <Field label="Customer name" value={row.customerName} />
            <Field label="Customer UUID" value={model.customerUuid} />
          </dl>
        </section>
        <section>
          <h2>Transfer</h2>
          {model.transfer ? (
            <dl>
              <Field label="Status" value={model.transfer.status} />
              <Field label="Amount" value={model.transfer.amount} />
              <Field label="Yay calls" value={model.transfer.attempts} />
              <Field label="Reason" value={model.transfer.reason} />
              <Field label="Reseller balance before" value={model.transfer.resellerBalanceBefore} />
              <Field label="Customer balance before" value={model.transfer.customerBalanceBefore} />
              <Field label="Planned" value={when(model.transfer.createdAt)} />
              <Field label="Last change" value={when(model.transfer.updatedAt)} />
            </dl>
          ) : (
            <p class="empty">No transfer planned yet.</p>
          )}
        </section>
      </div>

      <section>
        <h2>Actions taken by people</h2>
        {model.actionsTaken.length === 0 ? (
          <p class="empty">None.</p>
        ) : (
          <table class="list actions-taken">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th>Reason given</th>
              </tr>
            </thead>
            <tbody>
              {model.actionsTaken.map((action) => (
                <tr>
                  <td class="nowrap">{when(action.at)}</td>
                  <td>
                    {action.action}
                    {action.detail ? ` (${action.detail})` : ''}
                  </td>
                  <td>{action.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h2>Timeline</h2>
        <ol class="timeline">
          {model.timeline.map((entry) => (
            <li class={`from-${entry.source}`}>
              <time>{when(entry.at)}</time> <span class="what">{entry.what}</span>
              {entry.detail ? <span class="sub"> — {entry.detail}</span> : null}
            </li>
          ))}
        </ol>
      </section>

      <section>
        <h2>Executions</h2>
        {model.executions.map((execution) => (
          <details class="execution">
            <summary>
              <span class="mono">{execution.name}</span> · {execution.status}
            </summary>
            <ol class="history">
              {execution.entries.map((entry) => (
                <li>
                  {entry.omitted ? <p class="sub">… {entry.omitted} events not shown</p> : null}
                  <time>{when(entry.at)}</time> {entry.type}
                  {entry.state ? ` · ${entry.state}` : ''}
                  {entry.error ? ` · ${entry.error}` : ''}
                  {entry.input !== undefined ? (
                    <details class="step-data">
                      <summary>input</summary>
                      <pre>{entry.input}</pre>
                    </details>
                  ) : null}
                  {entry.output !== undefined ? (
                    <details class="step-data">
                      <summary>output</summary>
                      <pre>{entry.output}</pre>
                    </details>
                  ) : null}
                </li>
              ))}
            </ol>
          </details>
        ))}
      </section>

      <div class="columns">
        <section>
          <h2>E-mails sent</h2>
          {model.emails.length === 0 ? (
            <p class="empty">None recorded for this order.</p>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Status</th>
                  <th class="num">Attempts</th>
                  <th>Sent</th>
                  <th>Last problem</th>
                </tr>
              </thead>
              <tbody>
                {model.emails.map((email) => (
                  <tr>
                    <td>{email.kind}</td>
                    <td>{email.status}</td>
                    <td class="num">
                      {email.attempts}
                      {email.resends ? ` (${email.resends} resent)` : ''}
                    </td>
                    <td class="nowrap">{when(email.sentAt)}</td>
                    <td>{email.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section>
          <h2>Events published</h2>
          {model.events.fromLog ? null : (
            <p class="sub">
              From what the order item records (no events log is wired yet): the facts its events carry, with
              their ids.
            </p>
          )}
          {model.events.items.length === 0 ? (
            <p class="empty">None.</p>
          ) : (
            <table class="list">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Event</th>
                  <th>Id</th>
                </tr>
              </thead>
              <tbody>
                {model.events.items.map((event) => (
                  <tr>
                    <td class="nowrap">{when(event.at)}</td>
                    <td>
                      {event.detailType}
                      {event.summary ? <div class="sub">{event.summary}</div> : null}
                    </td>
                    <td class="mono">{event.eventId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>
    </Layout>
  );
};
