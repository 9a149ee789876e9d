import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startYaySandbox } from '../../../local/yay-sandbox/server';
import type { Millis } from '../../../shared/domain/credit';
import type { MoneyFact } from '../../../shared/domain/money';
import type { OrderEvent } from '../../../shared/domain/order-event';
import { closeOrder, completeOrder } from '../../../shared/workflow/attention';
import type { LogSink } from '../../../shared/workflow/ports';
import { resolveTransfer } from '../../../shared/workflow/reconcile-transfer';
import { replayOrder } from '../../../shared/workflow/replay';
import { createYayClient } from '../../../shared/yay/client';
import { workflowHarness } from './harness';
import {
  CrashPoints,
  depsOf,
  dispatch,
  ModelClock,
  ModelWorkflow,
  owedByOracle,
  runSweep,
  type ScriptedOrder,
  step,
  timeOut,
  type World,
} from './money-model';

/**
 * Runs of the model per seed in `npm test` (four seeds, one test file each, so the cores share them: 2,000 runs in
 * all); `npm run bench -- money-model` runs more (MONEY_MODEL_RUNS).
 */
const RUNS = Number(process.env.MONEY_MODEL_RUNS ?? 500);
const WINDOW = 7 * 24 * 3600;
const AT = '2026-12-06T09:00:00.000Z';

/** What one log line said, and which entry point said it. */
interface Line {
  source: string;
  level: string;
  message: string;
  extra: Record<string, unknown>[];
}

/** Lines about no one order (the sweep's totals, the reseller's balance). */
const GLOBAL_LINES = [
  'sweep done',
  'reseller balance is below the credit still owed; top up',
  'reseller balance could not be read',
];

// ---- the generated orders -------------------------------------------------------------------------------------

interface OrderPlan {
  buyer: number;
  /** An order bought with money, free ($0), or never paid. */
  pay: 'instant' | 'async' | 'free' | 'never';
  failedFirst: boolean;
  singleCreditLine: boolean;
  /** Refunds, each in pence of the £10.00 order, keyed by the order or only by its payment. */
  refunds: { amount: number; byPayment: boolean }[];
  dispute: boolean;
  together: boolean;
}

const orderPlan = fc.record({
  buyer: fc.integer({ min: 0, max: 1 }),
  pay: fc.constantFrom('instant', 'async', 'async', 'free', 'never'),
  failedFirst: fc.boolean(),
  singleCreditLine: fc.boolean(),
  refunds: fc.array(
    fc.record({
      amount: fc.constantFrom(100, 250, 500, 1_000, 1_500),
      byPayment: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
  // One order in five disputed.
  dispute: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  /** The confirmation carries the first refund too, as a WooCommerce update carries every refund so far. */
  together: fc.boolean(),
});

/** The order's events as its store would send them, and the facts they carry. */
function script(run: number, index: number, plan: OrderPlan): ScriptedOrder & { events: OrderEvent[] } {
  const orderId = `cs_model_${run}_${index}`;
  const paymentRef = `pi_model_${run}_${index}`;
  const total = plan.pay === 'free' ? 0 : 1_000;
  const base: OrderEvent = {
    kind: 'placed',
    provider: 'stripe',
    store: 'acct_model',
    orderId,
    orderKey: `stripe:acct_model:${orderId}`,
    buyerKey: `stripe:acct_model:cus_model_${run}_${plan.buyer}`,
    buyer: { name: 'Ada Lovelace', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
    address: { street_one: '1 Example Street', city: 'London', zip: 'EC1A 1BB', country_code: 'GB' },
    credit: { amount: 10_000, currency: 'GBP' },
    money: { total, currency: 'GBP', singleCreditLine: plan.singleCreditLine },
    paymentRef,
    sourceEventId: `evt_${orderId}`,
    occurredAt: AT,
  };
  const fact = (type: MoneyFact['type'], id: string, amount: number): MoneyFact => ({
    type,
    id,
    amount,
    currency: 'GBP',
    at: AT,
  });
  const payment = fact('payment', paymentRef, total);
  const events: OrderEvent[] = [];
  if (plan.pay === 'instant' || plan.pay === 'free') events.push({ ...base, kind: 'paid', facts: [payment] });
  else events.push(base);
  if (plan.failedFirst && plan.pay !== 'instant') {
    events.push({
      ...base,
      kind: 'payment_failed',
      facts: [fact('failure', `${paymentRef}_attempt_0`, total)],
    });
  }
  const first = plan.refunds[0];
  const refundFact = (n: number, amount: number) => fact('refund', `re_${orderId}_${n}`, amount);
  if (plan.pay === 'async') {
    const withRefund = plan.together && first !== undefined && !first.byPayment;
    events.push({
      ...base,
      kind: withRefund ? 'refunded' : 'payment_confirmed',
      facts: withRefund ? [payment, refundFact(0, first.amount)] : [payment],
    });
  }
  // A refund names the order, or only the payment (a Stripe charge without the session in its metadata).
  const onlyPayment = { orderId: paymentRef, orderKey: `stripe:acct_model:${paymentRef}` };
  plan.refunds.forEach((refund, n) => {
    events.push({
      ...base,
      ...(refund.byPayment ? onlyPayment : {}),
      kind: 'refunded',
      facts: [refundFact(n, refund.amount)],
    });
  });
  if (plan.dispute && plan.pay !== 'never' && plan.pay !== 'free') {
    events.push({
      ...base,
      ...onlyPayment,
      kind: 'disputed',
      facts: [fact('dispute', `dp_${orderId}`, total)],
    });
  }
  const facts = events.flatMap((event) => event.facts ?? []);
  return { event: base, credit: 10_000, total, singleCreditLine: plan.singleCreditLine, facts, events };
}

// ---- the commands ---------------------------------------------------------------------------------------------

/** What a run drives, besides the world: its orders and the deliveries EventBridge still owes. */
interface Run {
  world: World;
  orders: (ScriptedOrder & { events: OrderEvent[] })[];
  /** Deliveries that crashed: EventBridge delivers them again. */
  redeliver: OrderEvent[];
  lines: Line[];
  /** Whether customers spend credit in this run. */
  spending: boolean;
}

/** The model a command checks against: nothing, the oracle reads the scripts. */
type Model = Record<string, never>;
type Command = fc.AsyncCommand<Model, Run>;

const command = (name: string, run: (r: Run) => Promise<void>): Command => ({
  check: () => true,
  run: async (_model, real) => run(real),
  toString: () => name,
});

/** Steps every runnable execution once. */
async function stepAll(r: Run): Promise<boolean> {
  let progressed = false;
  for (const execution of r.world.workflow.running())
    progressed = (await step(r.world, execution)) || progressed;
  return progressed;
}

async function deliver(r: Run, event: OrderEvent): Promise<void> {
  if (!(await dispatch(r.world, event))) r.redeliver.push(event);
}

/** A person does what the order's attention asks, with what the store and Yay show them. */
async function personActs(r: Run, index: number): Promise<void> {
  const scripted = r.orders[index % r.orders.length];
  if (!scripted) return;
  const deps = depsOf(r.world);
  const order = await r.world.store.get(scripted.event.orderKey);
  const reason = order?.attention?.reason;
  if (!order || !reason) return;
  const owed = owedByOracle(scripted);
  try {
    if (reason === 'credit_undecided' || reason === 'disputed') {
      if (typeof owed === 'number' && owed >= 10) {
        await completeOrder(deps, order.orderKey, { credit: owed as Millis }, 'model: checked the store');
      } else await closeOrder(deps, order.orderKey, 'model: nothing owed');
    } else if (reason === 'transfer_review') {
      const intent = await r.world.store.getIntent(order.orderKey);
      const moved = await movedTo(r, intent?.customerUuid);
      const recorded = await appliedTo(r, intent?.customerUuid);
      const decision = moved > recorded ? 'applied' : 'not-applied';
      await resolveTransfer(deps, order.orderKey, decision, 'model: checked Yay');
    } else if (reason === 'failed') {
      await replayOrder(deps, order.orderKey, 'model: fixed the cause');
    } else if (reason === 'refund_after_credit' || reason === 'order_missing') {
      await closeOrder(deps, order.orderKey, 'model: settled by hand');
    }
  } catch (error) {
    // A person meeting an order that moved on reads the refusal and looks again; a crash is their laptop dying.
    if (!(error instanceof Error) || !['OrderInvalid', 'Crash'].includes(error.name)) throw error;
  }
}

/** Credit the sandbox moved to a customer, in total (Yay's truth). */
async function movedTo(r: Run, customerUuid: string | undefined): Promise<number> {
  return r.world.sandbox.state.transfers
    .filter((transfer) => transfer.customerUuid === customerUuid)
    .reduce((sum, transfer) => sum + transfer.amount, 0);
}

/** Credit our table says moved to a customer: its APPLIED intents. */
async function appliedTo(r: Run, customerUuid: string | undefined): Promise<number> {
  let total = 0;
  for (const order of r.orders) {
    const intent = await r.world.store.getIntent(order.event.orderKey);
    if (intent?.status === 'APPLIED' && intent.customerUuid === customerUuid) total += intent.amount;
  }
  return total;
}

function commands(orderCount: number) {
  const order = fc.integer({ min: 0, max: orderCount - 1 });
  return [
    fc.tuple(order, fc.nat(8), fc.integer({ min: 1, max: 2 })).map(([o, e, copies]) =>
      command(`deliver(${o}, ${e}, x${copies})`, async (r) => {
        const scripted = r.orders[o];
        const event = scripted?.events[e % scripted.events.length];
        if (event) for (let n = 0; n < copies; n += 1) await deliver(r, event);
      }),
    ),
    fc.constant(
      command('redeliver', async (r) => {
        const pending = r.redeliver.splice(0);
        for (const event of pending) await deliver(r, event);
      }),
    ),
    fc.integer({ min: 1, max: 4 }).map((times) =>
      command(`step x${times}`, async (r) => {
        for (let n = 0; n < times; n += 1) await stepAll(r);
      }),
    ),
    fc
      .tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom('before' as const, 'after' as const))
      .map(([countdown, when]) =>
        command(`crash(${countdown}, ${when})`, async (r) => r.world.crashes.arm(countdown, when)),
      ),
    fc
      .constantFrom(60, 400, 3_700)
      .map((by) => command(`time +${by}s`, async (r) => r.world.clock.advance(by))),
    fc.constant(
      command('sweep', async (r) => {
        r.world.clock.advance(400);
        await runSweep(r.world, WINDOW);
      }),
    ),
    order.map((o) =>
      command(`window closes(${o})`, async (r) => {
        const key = r.orders[o]?.event.orderKey;
        for (const execution of r.world.workflow.running()) {
          if (execution.input.order.orderKey === key) timeOut(execution);
        }
      }),
    ),
    fc
      .constantFrom(5_000, 15_000, 1_000_000)
      .map((balance) =>
        command(`reseller balance ${balance}`, async (r) =>
          r.world.sandbox.setResellerBalance(balance as Millis),
        ),
      ),
    order.map((o) => command(`person(${o})`, (r) => personActs(r, o))),
    fc.tuple(order, fc.constantFrom(100, 2_500, 10_000)).map(([o, amount]) =>
      command(`customer of ${o} spends ${amount}`, async (r) => {
        if (!r.spending) return;
        const intent = await r.world.store.getIntent(r.orders[o]?.event.orderKey ?? '');
        const uuid = intent?.customerUuid;
        if (uuid && r.world.sandbox.state.customers.some((c) => c.uuid === uuid)) {
          r.world.sandbox.spend(uuid, amount as Millis);
        }
      }),
    ),
  ];
}

// ---- quiescence and the oracle's verdict ----------------------------------------------------------------------

/**
 * Lets everything settle with no more crashes: the reseller tops up, every event the stores would send is delivered
 * (again), executions run with the graph's retries on the model clock, unpaid waits time out, the sweep runs until
 * it starts nothing more.
 */
async function quiesce(r: Run): Promise<void> {
  const { world } = r;
  world.crashes.disarm();
  world.crashes.enabled = false;
  world.sandbox.setResellerBalance(1_000_000 as Millis);
  for (const event of [...r.redeliver.splice(0), ...r.orders.flatMap((order) => order.events)]) {
    await deliver(r, event);
  }
  for (let round = 0; round < 400; round += 1) {
    if (await stepAll(r)) continue;
    const running = world.workflow.running();
    const later = running.map((execution) => execution.notBefore).filter((at) => at > world.clock.seconds);
    if (
      later.length > 0 &&
      running.every((execution) => execution.phase !== 'waiting' || execution.taskResult)
    ) {
      world.clock.seconds = Math.min(...later);
      continue;
    }
    const before = world.workflow.executions.size;
    for (const execution of running) timeOut(execution);
    if (await stepAll(r)) continue;
    world.clock.advance(WINDOW + 600);
    await runSweep(world, WINDOW);
    if (world.workflow.executions.size === before && world.workflow.running().length === 0) {
      // One more sweep after the last change settles what the previous one left (its replays' outcomes).
      world.clock.advance(600);
      await runSweep(world, WINDOW);
      if (world.workflow.executions.size === before && world.workflow.running().length === 0) return;
    }
  }
  throw new Error('the model did not settle in 400 rounds');
}

/** After quiescence: every order owes what it moved, or waits for a person with a reason; nothing twice. */
async function judge(r: Run): Promise<void> {
  const { store, sandbox } = r.world;
  const customers = new Set<string>();
  for (const scripted of r.orders) {
    const key = scripted.event.orderKey;
    const order = await store.get(key);
    const intent = await store.getIntent(key);
    const owed = owedByOracle(scripted);
    const moved = intent?.status === 'APPLIED' ? intent.amount : 0;
    const waiting = order?.attention?.reason;
    if (intent?.customerUuid) customers.add(intent.customerUuid);
    const context = `${key}: owed ${owed}, moved ${moved}, state ${order?.state}, attention ${waiting}, facts ${JSON.stringify(order?.facts)}`;
    expect(order, context).toBeDefined();
    // Nothing stranded: every order ended, or waits for a person.
    expect(['open', 'awaiting_payment'], context).not.toContain(order?.state);
    if (owed === 'person') {
      // Only a person can tell: they are asked (before credit moved), or told of a refund after it (after).
      if (moved > 0) expect(waiting, context).toBe('refund_after_credit');
      else expect(['credit_undecided', 'disputed', 'transfer_review', 'failed'], context).toContain(waiting);
      continue;
    }
    if (moved === owed) {
      if (waiting) expect(['refund_after_credit', 'failed', 'transfer_review'], context).toContain(waiting);
      continue;
    }
    if (moved > owed) {
      // Moved before a refund or dispute took some back: a person settles the difference by hand.
      expect(waiting, context).toBe('refund_after_credit');
      continue;
    }
    // Owed and not moved: only while a person is asked about it, never forgotten.
    expect(waiting, context).toBeDefined();
    expect(['credit_undecided', 'disputed'], context).not.toContain(waiting);
  }
  // Yay's truth: what moved to each customer is exactly what our intents say moved — never twice, never unrecorded.
  for (const customerUuid of customers) {
    expect(await movedTo(r, customerUuid), customerUuid).toBe(await appliedTo(r, customerUuid));
  }
  expect(sandbox.state.transfers.every((transfer) => customers.has(transfer.customerUuid))).toBe(true);
  // A person can follow any order through the logs: dispatch's and the sweep's lines each name theirs.
  const unkeyed = r.lines.filter(
    (line) =>
      (line.source === 'dispatch' || line.source === 'sweep') &&
      !GLOBAL_LINES.includes(line.message) &&
      !line.extra.some((extra) => typeof extra.orderKey === 'string'),
  );
  expect(unkeyed.map((line) => `${line.source}: ${line.message}`)).toEqual([]);
}

// ---- the property ---------------------------------------------------------------------------------------------

/**
 * The property on one seed: random runs of events, crashes, sweeps, people and balances, each judged by the oracle
 * after quiescence. One test file per seed calls it.
 */
export function describeMoneyModel(seed: number, runs: number = RUNS): void {
  describe('money, modelled: what each order owes moves exactly once, or a person is asked', () => {
    const h = workflowHarness();

    it(`holds for ${runs} random runs of events, crashes, sweeps, people and balances (seed ${seed})`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc
            .array(orderPlan, { minLength: 1, maxLength: 3 })
            .chain((plans) =>
              fc.tuple(
                fc.constant(plans),
                fc.record({ history: fc.boolean(), spending: fc.boolean() }),
                fc.commands(commands(plans.length), { maxCommands: 25 }),
              ),
            ),
          async ([plans, yayShape, cmds]) => {
            run += 1;
            // A table of its own; the run's clock, workflow and Yay are the model's, not the harness's fakes.
            const { store, notifications } = await h.world();
            // A sandbox of its own: Yay's ledger is what the run is judged by.
            const clock = new ModelClock();
            // Yay keeps its history by the run's clock, with or without a history path answering.
            const sandbox = await startYaySandbox({
              resellerBalance: 1_000_000 as Millis,
              requestLogLimit: 50,
              now: () => clock.now().getTime(),
              behaviour: { balanceHistory: yayShape.history ? 'ledger' : 'none' },
            });
            const lines: Line[] = [];
            const world: World = {
              clock,
              workflow: new ModelWorkflow(clock),
              crashes: new CrashPoints(),
              store,
              notifications,
              yay: createYayClient({
                baseUrl: sandbox.url,
                credentials: sandbox.credentials,
                timeoutMs: 2_000,
              }),
              sandbox,
              observability: {
                metrics: { addMetric: () => {} },
                log: recorder(lines, () => world.source),
                now: clock.now,
              },
              events: h.outbound.events,
              namingKey: `test-only-naming-key-${run}`,
              // A customer who spends exactly a credit in flight fools the balances: with no history to decide from,
              // such a run leaves every unknown outcome to a person (the risk the limit bounds is written down).
              byBalanceUpTo: yayShape.spending && !yayShape.history ? 0 : 20_000,
              source: 'step',
            };
            const r: Run = {
              world,
              orders: plans.map((plan, i) => script(run, i, plan)),
              redeliver: [],
              lines,
              spending: yayShape.spending,
            };
            try {
              await fc.asyncModelRun(() => ({ model: {}, real: r }), cmds);
              await quiesce(r);
              if (process.env.MONEY_MODEL_DEBUG)
                for (const line of r.lines) console.log(JSON.stringify(line));
              await judge(r);
            } finally {
              await sandbox.stop();
            }
          },
        ),
        {
          numRuns: runs,
          seed,
          endOnFailure: true,
          // Replays one failing run: MONEY_MODEL_PATH is the `path` fast-check prints with its counterexample.
          ...(process.env.MONEY_MODEL_PATH ? { path: process.env.MONEY_MODEL_PATH } : {}),
        },
      );
    }, 1_800_000);
  });
}

/** A log sink that keeps each line with the entry point running when it was written. */
function recorder(lines: Line[], source: () => string): LogSink {
  const at =
    (level: string) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      lines.push({ source: source(), level, message, extra });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
