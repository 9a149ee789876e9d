/**
 * Sending a soak order's script: each delivery POSTed to local mode and retried as providers retry (until its 202),
 * the deliveries counted, and the gates — states of local mode's table an order's script waits for, timed only while
 * local mode is up.
 */
import { request } from 'node:http';
import { paymentKey } from '../../shared/domain/keys';
import { isTerminal, type OrderView } from '../../shared/store';
import type { SoakFigures } from './figures';
import type { LocalModeProcess } from './local-mode-process';
import type { EventRole, Gate, PlannedOrder, SoakPlan } from './plan-types';
import { type SoakWebhook, soakOrderKey } from './webhook-common';
import { buildWebhook, type SoakWebhookSecrets } from './webhooks';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** POSTs one delivery; resolves with the status and body, rejects on a network error or after 15 s. */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
    });
    req.setTimeout(15_000, () => req.destroy(new Error('delivery timed out')));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Counts answered deliveries and lets the kill schedule wait for a number of them. */
export class DeliveryCounter {
  accepted = 0;
  private readonly waiters: Array<{ at: number; resolve: () => void }> = [];
  add(): void {
    this.accepted += 1;
    for (const waiter of [...this.waiters]) {
      if (this.accepted >= waiter.at) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }
  reached(at: number): Promise<void> {
    if (this.accepted >= at) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }
}

/** What an order's script reads and writes of its run. */
export interface ScriptRun {
  plan: SoakPlan;
  local: LocalModeProcess;
  figures: SoakFigures;
  secrets: SoakWebhookSecrets;
  counter: DeliveryCounter;
  /** Orders with a delivery answered 202. */
  sent: Set<number>;
  /** Orders whose script stopped at a gate: their end state is not judged (their credit still is). */
  cutShort: Set<number>;
  /** The run's time bound: deliveries and gates give up a minute before it. */
  deadline: number;
  /** Past it, a script stops before its next pause or gate. */
  sendDeadline: number;
  /** Up time a gate waits before it is reported never reached. */
  gateTimeoutMs: number;
}

/** Runs one order's script: its sends, pauses and gates, counted in the run's figures. */
export function scriptRunner(run: ScriptRun): (order: PlannedOrder) => Promise<void> {
  const { plan, local, figures, secrets, counter, sent, cutShort, deadline, sendDeadline, gateTimeoutMs } =
    run;

  const deliver = async (order: PlannedOrder, role: EventRole, webhook: SoakWebhook): Promise<boolean> => {
    for (let attempt = 0; ; attempt += 1) {
      if (Date.now() > deadline - 60_000) return false;
      await Promise.race([local.whenUp(), sleep(5_000)]);
      const url = local.url;
      if (!url) continue;
      figures.deliveries.attempts += 1;
      try {
        const answer = await post(`${url}${webhook.path}`, webhook.body, webhook.headers(attempt));
        if (answer.status === 202) {
          counter.add();
          figures.deliveries.accepted += 1;
          sent.add(order.index);
          const key = (JSON.parse(answer.body) as { orderKey?: string }).orderKey;
          if (webhook.orderKey && key !== webhook.orderKey) {
            figures.deliveries.orderKeyMismatches.push(`${webhook.orderKey} answered as ${key}`);
          }
          return true;
        }
        if (answer.status < 500) {
          figures.deliveries.rejected.push({
            order: soakOrderKey(order),
            role,
            status: answer.status,
            body: answer.body.slice(0, 300),
          });
          return false;
        }
      } catch {
        // Refused or reset: local mode is down or going down. The store retries, as providers do.
      }
      figures.deliveries.retriedAfterFailure += 1;
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
    }
  };

  const hasFact = (order: OrderView | undefined, type: 'refund' | 'dispute') =>
    (order?.facts ?? []).some((fact) => fact.type === type);
  const gateMet = async (gate: Gate, planned: PlannedOrder): Promise<boolean> => {
    if (gate === 'refund_on_payment') {
      const ref = planned.paymentIntent;
      if (!ref) throw new Error(`order ${planned.index} waits on a payment it does not name`);
      const facts = await local.paymentFacts(paymentKey(planned.provider, 'default', ref));
      return (facts ?? []).some((fact) => fact.type === 'refund');
    }
    const order = await local.store?.getOrder(soakOrderKey(planned));
    if (!order) return false;
    switch (gate) {
      case 'recorded':
        return order.event !== undefined;
      case 'expired':
        return order.state === 'expired';
      case 'fulfilled':
        return order.state === 'fulfilled';
      case 'ended':
        return isTerminal(order.state);
      case 'refund_on_order':
        return hasFact(order, 'refund');
      case 'dispute_on_order':
        return hasFact(order, 'dispute');
    }
  };

  // A gate's time counts only while local mode is up: a kill and its restart (the process start, the bus's
  // redeliveries and the start-up sweep before its ready line: 15–25 s on two shared cores) pause the clock.
  const waitGate = async (order: PlannedOrder, gate: Gate): Promise<boolean> => {
    const hardStop = deadline - 60_000;
    let upMs = 0;
    let last = Date.now();
    while (Date.now() < hardStop && upMs < gateTimeoutMs) {
      if (!local.up) {
        await Promise.race([local.whenUp(), sleep(1_000)]);
        last = Date.now();
        continue;
      }
      try {
        if (await gateMet(gate, order)) return true;
      } catch {
        // Down or going down: look again once it is back.
      }
      await sleep(150);
      const now = Date.now();
      if (local.up) upMs += now - last;
      last = now;
    }
    return false;
  };

  const runScript = async (order: PlannedOrder) => {
    const webhooks = new Map<EventRole, SoakWebhook>();
    const webhookOf = (role: EventRole) => {
      let webhook = webhooks.get(role);
      if (!webhook) {
        webhook = buildWebhook(plan, order, role, secrets);
        webhooks.set(role, webhook);
      }
      return webhook;
    };
    let firstOfRole = new Set<EventRole>();
    for (const step of order.steps) {
      if (Date.now() > sendDeadline && step.do !== 'send') {
        cutShort.add(order.index);
        return;
      }
      if (step.do === 'pause') {
        await sleep(step.ms);
      } else if (step.do === 'await') {
        if (!(await waitGate(order, step.until))) {
          figures.gateTimeouts.push({ order: soakOrderKey(order), gate: step.until });
          // Waiting for an expiry that never came, the confirmation still goes (credited either way). Any
          // other gate guards what the oracle assumed: stop here, which leaves the oracle true.
          if (step.until !== 'expired') {
            cutShort.add(order.index);
            return;
          }
        }
      } else {
        const webhook = webhookOf(step.role);
        const repeat = firstOfRole.has(step.role);
        firstOfRole = new Set([...firstOfRole, step.role]);
        const results = step.concurrent
          ? await Promise.all(Array.from({ length: step.copies }, () => deliver(order, step.role, webhook)))
          : await (async () => {
              const out: boolean[] = [];
              for (let i = 0; i < step.copies; i += 1) {
                if (i > 0) await sleep(50 + ((order.index * 37 + i * 101) % 250));
                out.push(await deliver(order, step.role, webhook));
              }
              return out;
            })();
        const delivered = results.filter(Boolean).length;
        figures.deliveries.duplicates += Math.max(0, delivered - (repeat ? 0 : 1));
        if (step.concurrent) figures.deliveries.concurrent += delivered;
        if (step.tag === 'late') figures.deliveries.late += delivered;
        if (step.tag === 'out_of_order') figures.deliveries.outOfOrder += delivered;
        if (step.tag === 'restated') figures.deliveries.restated += delivered;
      }
    }
  };
  return runScript;
}
