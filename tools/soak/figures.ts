/**
 * What a soak run measures (`SoakFigures`): every count the report shows and the invariants are checked on, and the
 * figures of a run before anything happened (`emptyFigures`).
 */
import type { EventRole, Gate, SoakPlan } from './plan-types';

/** One payment path's orders in the report: what their money owes against how they ended. */
export interface PathFigures {
  orders: number;
  sent: number;
  /** By what the money owes (`Owed.label`). */
  owed: Record<string, number>;
  /** By end: state, and the attention it carries. */
  ended: Record<string, number>;
  /** Sent orders that ended as their money says, with exactly the credit it owes. */
  asOwed: number;
  /** …of them, orders whose payment window closed before the payment came (an accepted alternative). */
  windowClosed: number;
}

/** Everything measured, for the report and the test's assertions. */
export interface SoakFigures {
  seed: number;
  orders: {
    planned: number;
    sent: number;
    byProvider: Record<string, number>;
    byPath: Record<string, number>;
  };
  buyers: { total: number; repeat: number };
  deliveries: {
    accepted: number;
    attempts: number;
    retriedAfterFailure: number;
    duplicates: number;
    concurrent: number;
    late: number;
    outOfOrder: number;
    /** Refunds delivered again after the credit that took them into account moved. */
    restated: number;
    rejected: Array<{ order: string; role: EventRole; status: number; body: string }>;
    orderKeyMismatches: string[];
  };
  kills: { planned: number; done: number; restarts: number; crashes: string[]; cleanStopCode: number | null };
  faults: { injected: Record<string, number>; phases: number };
  outcomes: { states: Record<string, number>; attention: Record<string, number> };
  credits: {
    doubleCredited: string[];
    /** Orders whose money owes credit, ended where it should have moved, with none in the ledger. */
    missing: string[];
    /** Orders with credit in the ledger their money does not owe (nothing owed, or a person still asked). */
    forbidden: string[];
    /** Orders credited once, but another amount than their money owes. */
    wrongAmount: string[];
    unexplainedTransfers: number;
    transfers: number;
    ledgerBalanced: boolean;
    /**
     * Σ of what the sent orders' money owes as they ended (thousandths: an accepted alternative's credit, else what the
     * money says) and Σ of what the ledger moved for them.
     */
    owedMillis: number;
    movedMillis: number;
  };
  /** Per payment path: orders, what their money owes, how they ended, how many ended as owed. */
  paths: Record<string, PathFigures>;
  customers: { total: number; duplicateBuyers: string[]; unknown: number };
  lostOrders: string[];
  stuckOrders: Array<{ order: string; state: string; finding?: string }>;
  /** Index entries out of step with the items they index (dynalite under SIGKILL), per index. */
  indexDrift: Record<string, { missing: string[]; extra: string[] }>;
  /** Orders waiting for a person without a reason and the command that resolves it, or missing from `ops attention`. */
  attentionWithoutReason: Array<{ order: string; state: string; finding?: string }>;
  /** Orders whose state `ops list` shows otherwise than the table (or not at all). */
  opsDisagreements: string[];
  /** Bytes of child output (and the report) scanned for secrets. */
  bytesScanned: number;
  unexpectedEnds: Array<{
    order: string;
    path: string;
    state: string;
    attention?: string;
    expected: string;
    finding?: string;
  }>;
  /** Orders that hit a {@link KNOWN_FINDINGS} bug, by finding id. */
  knownFindings: Record<string, string[]>;
  gateTimeouts: Array<{ order: string; gate: Gate; finding?: string }>;
  secretsInOutput: number;
  /** Calls local mode denied a function (its IAM enforcement): the soak's flows need none. */
  accessDenials: number;
  wallSeconds: number;
  /** Where the data dir and logs are, when kept. */
  runDir?: string;
}

/** The figures of a run of `plan` before anything happened. */
export function emptyFigures(plan: SoakPlan): SoakFigures {
  const figures: SoakFigures = {
    seed: plan.parameters.seed,
    orders: { planned: plan.orders.length, sent: 0, byProvider: {}, byPath: {} },
    buyers: { total: plan.buyers.length, repeat: 0 },
    deliveries: {
      accepted: 0,
      attempts: 0,
      retriedAfterFailure: 0,
      duplicates: 0,
      concurrent: 0,
      late: 0,
      outOfOrder: 0,
      restated: 0,
      rejected: [],
      orderKeyMismatches: [],
    },
    kills: { planned: plan.kills.length, done: 0, restarts: 0, crashes: [], cleanStopCode: null },
    faults: { injected: {}, phases: 0 },
    outcomes: { states: {}, attention: {} },
    credits: {
      doubleCredited: [],
      missing: [],
      forbidden: [],
      wrongAmount: [],
      unexplainedTransfers: 0,
      transfers: 0,
      ledgerBalanced: true,
      owedMillis: 0,
      movedMillis: 0,
    },
    paths: {},
    customers: { total: 0, duplicateBuyers: [], unknown: 0 },
    lostOrders: [],
    stuckOrders: [],
    indexDrift: {},
    attentionWithoutReason: [],
    opsDisagreements: [],
    bytesScanned: 0,
    unexpectedEnds: [],
    knownFindings: {},
    gateTimeouts: [],
    secretsInOutput: 0,
    accessDenials: 0,
    wallSeconds: 0,
  };
  const ordersOf = new Map<number, number>();
  for (const order of plan.orders) ordersOf.set(order.buyer, (ordersOf.get(order.buyer) ?? 0) + 1);
  figures.buyers.repeat = [...ordersOf.values()].filter((n) => n > 1).length;
  return figures;
}
