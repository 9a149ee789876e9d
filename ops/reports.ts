/** What the ops CLI's read commands print: an order's status, the lists, the published events, the Yay check. */
import { describeCredit } from '../shared/domain/credit';
import { OrderStates } from '../shared/domain/order-state';
import type { OrderState } from '../shared/store';
import { checkYay } from '../shared/yay/check';
import { createYayClient } from '../shared/yay/client';
import { YaySettingContextKeys } from '../shared/yay/settings';
import { UsageError } from './args';
import type { OpsIo } from './cli';
import { OpsError } from './errors';
import { executionHistory } from './history';
import type { PublishedLine } from './published-events';
import type { Target } from './target';

function millis(value: number | undefined): string {
  return value === undefined ? '-' : describeCredit(value);
}

export async function status(io: OpsIo, target: Target, orderKey: string): Promise<void> {
  const order = await target.store.getOrder(orderKey);
  if (!order) throw new OpsError(`order ${orderKey} not found in ${target.where}`);
  io.out(`order      ${order.orderKey}`);
  io.out(`state      ${order.state}${order.outcome ? ` (outcome ${order.outcome})` : ''}`);
  io.out(
    `payment    ${order.payment}${order.waitingForPayment ? ' (waiting for payment)' : ''}${order.refunded ? ', refunded' : ''}`,
  );
  io.out(`buyer      ${order.buyerKey ?? '-'}`);
  io.out(`customer   ${order.customerName ?? '-'} ${order.customerUuid ?? ''}`.trimEnd());
  if (order.event) {
    const credit = order.event.credit;
    io.out(
      `credit     ${credit.amount === null ? `unpriced (${credit.unpricedReason ?? 'no amount'})` : millis(credit.amount)} ${credit.currency}`,
    );
  }
  if (order.transfer) {
    const t = order.transfer;
    io.out(
      `transfer   ${t.status} ${millis(t.amount)} after ${t.attempts} call(s)${t.reason ? ` — ${t.reason}` : ''}`,
    );
  }
  if (order.lastError) io.out(`last error ${order.lastError.Error}`);
  if (order.attention) {
    io.out(`waits for  a person: ${order.attention.reason} since ${order.attention.since}`);
    io.out(`           ${order.attention.message}`);
    io.out(`           → ${order.attention.action}`);
  }
  for (const action of order.actions ?? []) {
    io.out(
      `action     ${action.at}  ${action.action}${action.detail ? ` (${action.detail})` : ''}: ${action.reason}`,
    );
  }
  for (const email of await target.emails.listForOrder(orderKey, order.customerName)) {
    const when = email.sentAt ?? email.updatedAt;
    io.out(
      `e-mail     ${email.type} ${email.status}${email.final ? ' (final: resend-welcome)' : ''} after ` +
        `${email.attempts} attempt(s), ${when}${email.reason ? ` — ${email.reason}` : ''}`,
    );
  }
  io.out(`execution  ${order.executionName ?? '-'}${order.replays ? ` (replays: ${order.replays})` : ''}`);
  io.out(`updated    ${order.updatedAt}`);
  if (!order.executionArn) return;
  const history = await executionHistory(target.sfn, order.executionArn);
  if (!history) {
    io.out('timeline   (execution no longer exists)');
    return;
  }
  io.out('timeline');
  for (const event of history) {
    if (event.omitted) io.out(`  … ${event.omitted} events not shown`);
    io.out(
      `  ${event.at}  ${event.type}${event.state ? `  ${event.state}` : ''}${event.error ? `  ${event.error}` : ''}`,
    );
  }
}

export async function list(io: OpsIo, target: Target, state: string | undefined): Promise<void> {
  if (state !== undefined && !OrderStates.includes(state as OrderState)) {
    throw new UsageError(`--state must be one of ${OrderStates.join(', ')}; got "${state}"`);
  }
  const orders = await target.store.listOrders(state ? { state: state as OrderState } : undefined);
  if (orders.length === 0) {
    io.out(state ? `no orders in state ${state}` : 'no orders');
    return;
  }
  for (const order of orders) {
    io.out(
      `${order.orderKey}  ${order.state}  ${order.payment}  ${order.customerName ?? '-'}  ${order.updatedAt}`,
    );
  }
}

export async function attention(io: OpsIo, target: Target): Promise<void> {
  const orders = await target.store.listAttention();
  if (orders.length === 0) {
    io.out('nothing waits for a person');
    return;
  }
  for (const order of orders) {
    const waiting = order.attention;
    if (!waiting) continue;
    io.out(`${order.orderKey}  ${order.state}  ${waiting.reason}  since ${waiting.since}`);
    io.out(`    ${waiting.message}`);
    io.out(`    → ${waiting.action}`);
  }
}

/** An order key from the SES tag it travels in (base64url: tags allow no colons). */
export function fromTag(value: string | undefined): string | undefined {
  return value ? Buffer.from(value, 'base64url').toString('utf8') : undefined;
}

/** One line per event: when, what, its id, the order, and what it says. */
export function describeEvent(line: PublishedLine): string {
  const d = line.detail;
  const said = [
    d.amount ? `amount ${String(d.amount)}` : '',
    d.balanceAfter ? `balance ${String(d.balanceAfter)}` : '',
    d.reason ? `reason ${String(d.reason)}` : '',
    d.action ? `→ ${String(d.action)}` : '',
    d.customerName ? `customer ${String(d.customerName)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${line.time}  ${line.detailType.padEnd(21)}  ${String(d.eventId ?? '')}  ${String(d.orderKey ?? '')}${said ? `  ${said}` : ''}`;
}

/**
 * The Yay API's unknowns (shared/yay/README.md), probed with read-only calls only (GET), by the one shared probe,
 * with the balance paths and credit allocation the deployed functions use.
 */
export async function yayCheck(io: OpsIo, target: Target): Promise<boolean> {
  const { baseUrl, credentials } = await target.yay();
  const deployed = target.yaySettings();
  const settings = 'unknown' in deployed ? undefined : deployed;
  const client = createYayClient({
    baseUrl,
    credentials,
    timeoutMs: 10_000,
    ...(settings ? { settings } : {}),
  });
  io.out(`Yay API at ${baseUrl} (read-only checks)`);
  const { customerBalance, balanceHistory, creditAllocation } = client.settings;
  io.out(
    `Settings${settings ? '' : ` (the defaults: ${'unknown' in deployed ? deployed.unknown : ''})`}: ` +
      `${YaySettingContextKeys.customerBalance}=${customerBalance}, ${YaySettingContextKeys.balanceHistory}=${balanceHistory}, ` +
      `${YaySettingContextKeys.creditAllocation}=${creditAllocation.command}` +
      (creditAllocation.command === 'allocate'
        ? `, ${YaySettingContextKeys.creditAllocationNet}=${creditAllocation.net}`
        : ''),
  );
  if (target.egressIp) {
    // The address Yay's allow-list needs for the workflow, which a check from here cannot show.
    io.out(
      `Deployed functions call Yay from ${target.egressIp} (output YayEgressIp): keep each on the Yay ` +
        "allow-list. These checks leave from this machine's own address.",
    );
  }
  const storeFronts = target.storeFronts();
  const report = await checkYay(client, 'unknown' in storeFronts ? {} : { storeFronts });
  for (const item of report.items) io.out(`  ${item.outcome.padEnd(8)} ${item.check}: ${item.detail}`);
  if ('unknown' in storeFronts) io.out(`Configured store fronts not checked: ${storeFronts.unknown}.`);
  io.out('Not probed (would change state): the duplicate-name error, the 429 limits, the credit allocation.');
  return report.ok;
}
