import type { FC } from 'hono/jsx';
import { formatCredit } from '../../shared/domain/credit';
import { Layout } from './layout';
import { OUTCOME_BUCKETS, OVERVIEW_DAYS, type OverviewModel } from './overview-model';

/** What console/assets/overview.js draws on a canvas: read from its `data-chart` attribute (escaped by the JSX). */
interface ChartSpec {
  type: 'bar';
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
  stacked?: boolean;
  /** Values are GBP. */
  money?: boolean;
  horizontal?: boolean;
}

const pounds = (millis: number) => Number(formatCredit(Math.max(0, millis)));
const gbp = (millis: number) => `${millis < 0 ? '-' : ''}${formatCredit(Math.abs(millis))} GBP`;

const Chart: FC<{ id: string; label: string; spec: ChartSpec }> = ({ id, label, spec }) => (
  <div class="chart">
    <canvas id={id} role="img" aria-label={label} data-chart={JSON.stringify(spec)} />
  </div>
);

/** Charts over the last 30 days from the ByDay index, and the reseller's balance against the credit still owed. */
export const OverviewPage: FC<{ where: string; model: OverviewModel }> = ({ where, model }) => {
  const labels = model.days.map((day) => day.slice(5));
  const { balance } = model;
  const headroom =
    balance.resellerBalance === undefined ? undefined : balance.resellerBalance - balance.creditOwed;
  return (
    <Layout title="Overview" active="overview" where={where} scripts={['chart.umd.min.js', 'overview.js']}>
      <h1>Overview</h1>
      <p class="lead">
        The last {OVERVIEW_DAYS} days (UTC), {model.days[0]} to {model.days.at(-1)}: {model.totalOrders}{' '}
        orders, {gbp(model.totalCredit)} of credit moved.
      </p>
      <section aria-label="orders per day">
        <h2>Orders per day, by outcome</h2>
        <Chart
          id="orders-per-day"
          label="orders per day by outcome"
          spec={{
            type: 'bar',
            stacked: true,
            labels,
            datasets: OUTCOME_BUCKETS.map((bucket) => ({
              label: bucket.label,
              data: model.ordersPerDay[bucket.key],
            })),
          }}
        />
      </section>
      <section aria-label="credit moved per day">
        <h2>Credit moved per day</h2>
        <Chart
          id="credit-per-day"
          label="credit moved per day, GBP"
          spec={{
            type: 'bar',
            money: true,
            labels,
            datasets: [{ label: 'Credit moved (GBP)', data: model.creditPerDay.map(pounds) }],
          }}
        />
      </section>
      <section aria-label="reseller balance">
        <h2>Reseller balance against credit still owed</h2>
        {balance.resellerBalance === undefined ? (
          <p class="problem">The reseller balance could not be read from Yay ({balance.unavailable}).</p>
        ) : (
          <Chart
            id="balance"
            label="reseller balance and credit still owed, GBP"
            spec={{
              type: 'bar',
              money: true,
              horizontal: true,
              labels: ['Reseller balance', 'Credit still owed'],
              datasets: [
                { label: 'GBP', data: [pounds(balance.resellerBalance), pounds(balance.creditOwed)] },
              ],
            }}
          />
        )}
        <dl class="figures">
          <dt>Reseller balance</dt>
          <dd>{balance.resellerBalance === undefined ? 'unavailable' : gbp(balance.resellerBalance)}</dd>
          <dt>Credit still owed to paid orders</dt>
          <dd>{gbp(balance.creditOwed)}</dd>
          <dt>Headroom</dt>
          <dd class={headroom !== undefined && headroom < 0 ? 'bad' : ''}>
            {headroom === undefined
              ? '—'
              : `${gbp(headroom)}${headroom < 0 ? ' — top up the reseller account' : ''}`}
          </dd>
        </dl>
      </section>
      <details class="data">
        <summary>The numbers</summary>
        <table class="list">
          <thead>
            <tr>
              <th>Day</th>
              {OUTCOME_BUCKETS.map((bucket) => (
                <th class="num">{bucket.label}</th>
              ))}
              <th class="num">Credit moved</th>
            </tr>
          </thead>
          <tbody>
            {model.days.map((day, i) => (
              <tr>
                <td>{day}</td>
                {OUTCOME_BUCKETS.map((bucket) => (
                  <td class="num">{model.ordersPerDay[bucket.key][i]}</td>
                ))}
                <td class="num">{gbp(model.creditPerDay[i] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </Layout>
  );
};
