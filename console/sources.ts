/**
 * Everything the console reads and does, over a target (ops/target.ts): the store's ports, the e-mail markers,
 * Step Functions histories, the reseller's balance, and the operator use cases with the CLI's own wiring.
 * Pages get view models built from these (console/pages/<page>-model.ts), never a record or a client.
 */
import { executionHistory, type HistoryEntry } from '../ops/history';
import { type OperatorDeps, operatorDeps, type Target } from '../ops/target';
import type { Millis } from '../shared/domain/credit';
import type { DynamoStore, EmailStore } from '../shared/store';
import type { Observability } from '../shared/workflow/ports';
import { createYayClient } from '../shared/yay/client';
import { type ConsoleIntegrations, consoleIntegrations } from './integrations';

export type { HistoryEntry } from '../ops/history';

/** An event this system published about an order, as an events log records it. */
export interface EmittedEvent {
  at: string;
  detailType: string;
  eventId: string;
  /** A short human summary (amount, reason); never a secret. */
  summary?: string;
}

/**
 * The operator use cases the console may run, by name. `resendWelcome` is optional: the button exists only when
 * a use case is given here (see console/README.md, "Integration points").
 */
export interface OperatorActions {
  deps: OperatorDeps;
  /**
   * INTEGRATION POINT (resend welcome): `resendWelcome(deps, orderKey, reason)` from shared/workflow/notify.ts,
   * bound to its deps. Absent until that use case exists; then the Order page offers "Resend welcome".
   */
  resendWelcome?: (orderKey: string, reason: string) => Promise<string>;
}

export interface ConsoleSources {
  /** Where the console looks, in words ("local mode at http://127.0.0.1:3000", "stack YayProvisioning"). */
  where: string;
  store: DynamoStore;
  emails: EmailStore;
  actions: OperatorActions;
  /** The execution's history, or undefined when Step Functions no longer has it. */
  history(executionArn: string): Promise<HistoryEntry[] | undefined>;
  /** The reseller's own balance now (`GET /account/balance`). */
  resellerBalance(): Promise<Millis>;
  /**
   * INTEGRATION POINT (events log): the events published about an order, once an events log exists. Absent: the
   * Order page shows the facts the order item implies, and says so.
   */
  events?: (orderKey: string) => Promise<EmittedEvent[]>;
  now(): Date;
  close(): void;
}

/**
 * The console's sources over a target, with its integration points (console/integrations.ts) wired. The Yay
 * client is built on first use and kept: its credentials stay inside it, and nothing here returns them.
 * `integrations` replaces what console/integrations.ts gives (tests).
 */
export function sourcesFromTarget(
  target: Target,
  options: { observability: Observability; integrations?: ConsoleIntegrations },
): ConsoleSources {
  const deps = operatorDeps(target, options.observability);
  let yay: ReturnType<typeof createYayClient> | undefined;
  const { events, resendWelcome } = options.integrations ?? consoleIntegrations(target, deps);
  return {
    where: target.where,
    store: target.store,
    emails: target.emails,
    actions: { deps, ...(resendWelcome ? { resendWelcome } : {}) },
    ...(events ? { events } : {}),
    now: options.observability.now,
    history: (executionArn) => executionHistory(target.sfn, executionArn),
    async resellerBalance() {
      if (!yay) {
        const { baseUrl, credentials } = await target.yay();
        yay = createYayClient({ baseUrl, credentials, timeoutMs: 10_000 });
      }
      return yay.resellerBalance();
    },
    close: () => target.close(),
  };
}
