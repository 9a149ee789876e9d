/**
 * Judging a soak run: each order's end against the ends its plan accepts, its credit against the sandbox's ledger
 * (every transfer attributed to an order by buyer and amount), customers against buyers, and the broken invariants,
 * one line each (`failuresOf`).
 */
import { isTerminal, type OrderView } from '../../shared/store';
import { RESELLER_BALANCE } from './environment';
import type { PathFigures, SoakFigures } from './figures';
import { explainedBy, KNOWN_FINDINGS, type OrderEnd } from './findings';
import type { ExpectedEnd, PlannedBuyer, PlannedOrder, SoakPlan } from './plan-types';
import type { SandboxLedgerState } from './sandbox-process';
import { soakOrderKey } from './webhook-common';

/**
 * The order's payment window closed before its payment came: the wait's timeout is on the order (Record outcome, or
 * the sweep, wrote `States.Timeout` when it expired it), or a person was asked before any payment was recorded (the
 * sweep parks an order past its window whose money only a person can judge, without expiring it).
 */
export function windowClosedFirst(found: OrderView): boolean {
  if (found.lastError?.Error === 'States.Timeout') return true;
  const since = found.attention?.since;
  return since !== undefined && (found.paidAt === undefined || since < found.paidAt);
}

/** The order's end is this expected one: its state, its attention, and (for an alternative) its condition. */
function endMatches(end: ExpectedEnd, found: OrderView): boolean {
  return (
    end.state === found.state &&
    (end.attention ?? undefined) === (found.attention?.reason ?? undefined) &&
    (end.when !== 'window_closed' || windowClosedFirst(found))
  );
}

/** The expected end the order's end matches, if any. */
export function matchedEnd(order: PlannedOrder, found: OrderView | undefined): ExpectedEnd | undefined {
  return found ? order.expected.find((end) => endMatches(end, found)) : undefined;
}

export function matches(order: PlannedOrder, found: OrderView | undefined): boolean {
  return matchedEnd(order, found) !== undefined;
}

/** An end as the report names it: the state, and the attention it carries. */
const endLabel = (found: OrderView) =>
  found.attention ? `${found.state} + ${found.attention.reason}` : found.state;

/** A person is asked about the order (parked, failed, or flagged beside its state). */
const personAsked = (found: OrderView) => found.state === 'needs_attention' || found.state === 'failed';

/** The invariants, from the sandbox's ledger (credits, customers) and local mode's table (end states). */
export function judge(
  plan: SoakPlan,
  figures: SoakFigures,
  sent: ReadonlySet<number>,
  cutShort: ReadonlySet<number>,
  orders: Map<string, OrderView>,
  ledger: SandboxLedgerState,
  inOpenIndex: ReadonlySet<string>,
  drifted: ReadonlySet<string>,
): Map<string, OrderEnd> {
  const ends = new Map<string, OrderEnd>();
  figures.orders.sent = sent.size;
  for (const order of plan.orders) {
    figures.orders.byProvider[order.provider] = (figures.orders.byProvider[order.provider] ?? 0) + 1;
    figures.orders.byPath[order.path] = (figures.orders.byPath[order.path] ?? 0) + 1;
  }
  // Customers belong to buyers by their store user's e-mail (unique per buyer in the plan).
  const buyerByEmail = new Map(plan.buyers.map((buyer) => [buyer.email.toLowerCase(), buyer]));
  const customersOf = new Map<number, string[]>();
  const buyerOfCustomer = new Map<string, PlannedBuyer>();
  figures.customers.total = ledger.customers.length;
  for (const customer of ledger.customers) {
    const email = customer.users.map((user) => user.email?.toLowerCase()).find(Boolean);
    const buyer = email ? buyerByEmail.get(email) : undefined;
    if (!buyer) {
      figures.customers.unknown += 1;
      continue;
    }
    buyerOfCustomer.set(customer.uuid, buyer);
    customersOf.set(buyer.index, [...(customersOf.get(buyer.index) ?? []), customer.uuid]);
  }
  for (const [index, uuids] of customersOf) {
    const buyer = plan.buyers[index] as PlannedBuyer;
    if (uuids.length > 1)
      figures.customers.duplicateBuyers.push(`${buyer.email} (${uuids.length} customers)`);
  }

  // Each transfer names its order by buyer and amount: an order's catalog credit, or what its money owes when that is
  // less; the plan keeps every such amount distinct per buyer.
  const orderByBuyerAmount = new Map<string, PlannedOrder>();
  for (const order of plan.orders) {
    for (const amount of new Set([order.amount, ...order.expected.map((end) => end.credit)])) {
      if (amount <= 0) continue;
      const key = `${order.buyer}/${amount}`;
      const other = orderByBuyerAmount.get(key);
      if (other && other !== order) {
        throw new Error(
          `soak plan: orders ${other.index} and ${order.index} of one buyer may both move ${amount}`,
        );
      }
      orderByBuyerAmount.set(key, order);
    }
  }
  const credits = new Map<number, number[]>();
  figures.credits.transfers = ledger.transfers.length;
  let moved = 0;
  for (const transfer of ledger.transfers) {
    moved += transfer.amount;
    const buyer = buyerOfCustomer.get(transfer.customerUuid);
    const order = buyer ? orderByBuyerAmount.get(`${buyer.index}/${transfer.amount}`) : undefined;
    if (!order) {
      figures.credits.unexplainedTransfers += 1;
      continue;
    }
    credits.set(order.index, [...(credits.get(order.index) ?? []), transfer.amount]);
  }
  const start = Number(RESELLER_BALANCE.replace('.', ''));
  const held = ledger.customers.reduce((sum, customer) => sum + customer.balance, 0);
  figures.credits.ledgerBalanced = start - ledger.resellerBalance === moved && moved === held;

  for (const order of plan.orders) {
    const key = soakOrderKey(order);
    const amounts = credits.get(order.index) ?? [];
    const credit = amounts.reduce((sum, amount) => sum + amount, 0);
    const path = pathFigures(figures, order.path);
    path.orders += 1;
    if (amounts.length > 1) {
      figures.credits.doubleCredited.push(
        `${key} (${order.path}, ${amounts.length}×: ${amounts.join(' + ')})`,
      );
    }
    if (!sent.has(order.index)) {
      if (credit > 0) figures.credits.forbidden.push(`${key} (${order.path}, never sent, ${credit})`);
      continue;
    }
    path.sent += 1;
    path.owed[order.owed.label] = (path.owed[order.owed.label] ?? 0) + 1;
    const primary = order.expected[0] as ExpectedEnd;
    const found = orders.get(key);
    const matched = matchedEnd(order, found);
    // Owed as the order ended: an accepted alternative (a person asked once the window closed) owes nothing yet.
    figures.credits.owedMillis += (matched ?? primary).credit;
    figures.credits.movedMillis += credit;
    // The credit the ledger must show: what the matched end says; for a script cut short, any end's (or none); for an
    // end nobody planned, what the money owes, or nothing while a person is asked (the end is reported apart).
    const allowed = matched
      ? [matched.credit]
      : cutShort.has(order.index)
        ? [0, ...order.expected.map((end) => end.credit)]
        : found && personAsked(found)
          ? [0]
          : [primary.credit];
    const creditOk = amounts.length <= 1 && allowed.includes(credit);
    if (amounts.length <= 1 && !creditOk) {
      const owes = allowed.map(String).join(' or ');
      const line = `${key} (${order.path}, ${order.owed.label}: owes ${owes}, ledger ${credit}${found ? `, ${endLabel(found)}` : ''})`;
      if (allowed.every((amount) => amount === 0)) figures.credits.forbidden.push(line);
      else if (credit === 0) figures.credits.missing.push(line);
      else figures.credits.wrongAmount.push(line);
    }
    if (!found) {
      figures.lostOrders.push(key);
      continue;
    }
    const ended = endLabel(found);
    path.ended[ended] = (path.ended[ended] ?? 0) + 1;
    if (matched && creditOk) {
      path.asOwed += 1;
      if (matched.when === 'window_closed') path.windowClosed += 1;
    }
    figures.outcomes.states[found.state] = (figures.outcomes.states[found.state] ?? 0) + 1;
    if (found.attention) {
      const reason = `${found.attention.reason}${found.state === 'needs_attention' ? '' : ` (on ${found.state})`}`;
      figures.outcomes.attention[reason] = (figures.outcomes.attention[reason] ?? 0) + 1;
    }
    const end: OrderEnd = { order, found, inOpenIndex: inOpenIndex.has(key), indexDrifted: drifted.has(key) };
    ends.set(key, end);
    for (const finding of KNOWN_FINDINGS.filter((known) => known.hit(end))) {
      figures.knownFindings[finding.id] = [...(figures.knownFindings[finding.id] ?? []), key];
    }
    const explaining = (what: 'end' | 'stuck') => explainedBy(end, what);
    if (!isTerminal(found.state)) {
      const finding = explaining('stuck');
      figures.stuckOrders.push({ order: key, state: found.state, ...(finding ? { finding } : {}) });
      continue;
    }
    if (!cutShort.has(order.index) && !matched) {
      const finding = explaining('end');
      figures.unexpectedEnds.push({
        order: key,
        path: order.path,
        state: found.state,
        ...(found.attention ? { attention: found.attention.reason } : {}),
        expected: order.expected
          .map(
            (expected) =>
              `${expected.attention ? `${expected.state}+${expected.attention}` : expected.state}` +
              `${expected.when ? ` (${expected.when})` : ''}`,
          )
          .join(' | '),
        ...(finding ? { finding } : {}),
      });
    }
  }
  for (const timeout of figures.gateTimeouts) {
    const end = ends.get(timeout.order);
    const finding = end && explainedBy(end, 'gate');
    if (finding) timeout.finding = finding;
  }
  return ends;
}

function pathFigures(figures: SoakFigures, path: string): PathFigures {
  let row = figures.paths[path];
  if (!row) {
    row = { orders: 0, sent: 0, owed: {}, ended: {}, asOwed: 0, windowClosed: 0 };
    figures.paths[path] = row;
  }
  return row;
}

/** Every invariant the issue names, one line per one broken. */
export function failuresOf(plan: SoakPlan, figures: SoakFigures): string[] {
  const failures: string[] = [];
  const list = (items: readonly unknown[]) =>
    items
      .slice(0, 10)
      .map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
      .join('; ') + (items.length > 10 ? `; … ${items.length - 10} more` : '');
  const check = (what: string, items: readonly unknown[]) => {
    if (items.length > 0) failures.push(`${what}: ${items.length} — ${list(items)}`);
  };
  check('orders credited more than once', figures.credits.doubleCredited);
  check('orders whose money owes credit, never credited', figures.credits.missing);
  check('credit the money does not owe (nothing owed, or a person still asked)', figures.credits.forbidden);
  check('orders credited another amount than their money owes', figures.credits.wrongAmount);
  if (figures.credits.unexplainedTransfers > 0) {
    failures.push(`ledger transfers matching no order: ${figures.credits.unexplainedTransfers}`);
  }
  if (!figures.credits.ledgerBalanced)
    failures.push('the ledger does not balance (reseller vs customers vs transfers)');
  check('buyers with more than one Yay customer', figures.customers.duplicateBuyers);
  if (figures.customers.unknown > 0)
    failures.push(`Yay customers of no planned buyer: ${figures.customers.unknown}`);
  check('orders sent but not recorded (lost)', figures.lostOrders);
  const unexplained = <T extends { finding?: string }>(items: T[]) => items.filter((item) => !item.finding);
  check('orders in neither a terminal state nor needs_attention (stuck)', unexplained(figures.stuckOrders));
  check(
    'orders waiting for a person without a reason, or not listed by ops attention',
    unexplained(figures.attentionWithoutReason),
  );
  check('orders ops list shows otherwise than the table', figures.opsDisagreements);
  check('orders ending otherwise than planned', unexplained(figures.unexpectedEnds));
  check('deliveries refused (a harness bug)', figures.deliveries.rejected);
  check('deliveries answered with another order key', figures.deliveries.orderKeyMismatches);
  check('gates never reached', unexplained(figures.gateTimeouts));
  check('local mode exits nobody asked for', figures.kills.crashes);
  if (figures.kills.done < plan.kills.length) {
    failures.push(`kills done: ${figures.kills.done} of ${plan.kills.length} planned`);
  }
  if (figures.kills.cleanStopCode !== 0)
    failures.push(`local mode's SIGTERM stop exited ${figures.kills.cleanStopCode}`);
  if (figures.orders.sent < plan.orders.length) {
    failures.push(
      `orders sent: ${figures.orders.sent} of ${plan.orders.length} (the time bound cut sending short)`,
    );
  }
  if (figures.secretsInOutput > 0) failures.push(`secrets found in the output: ${figures.secretsInOutput}`);
  if (figures.accessDenials > 0) {
    failures.push(
      `calls denied by the template's IAM grants: ${figures.accessDenials} (grep the log for "access denied")`,
    );
  }
  return failures;
}
