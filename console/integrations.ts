/**
 * The console's two integration points, in one place. Both are being built elsewhere; until they land the
 * console offers nothing it cannot do for real.
 *
 * - **Resend welcome.** When shared/workflow/notify.ts exports `resendWelcome(deps, orderKey, reason)`, return
 *   `resendWelcome` below: a function that calls it with its deps (built from `target` and `deps` as the ops CLI
 *   builds them for `ops resend-welcome`) and resolves with one sentence saying what it did. The Order page then
 *   offers "Resend welcome" for an order with a Yay customer, with the same confirmation and required reason as
 *   every other action.
 * - **Events log.** When the events log exists, return `events`: the events published about one order, oldest
 *   first. The Order page then lists them instead of the facts it infers from the order item.
 */
import type { OperatorDeps, Target } from '../ops/target';
import type { ConsoleSources, OperatorActions } from './sources';

export type ConsoleIntegrations = Pick<ConsoleSources, 'events'> & Pick<OperatorActions, 'resendWelcome'>;

export function consoleIntegrations(_target: Target, _deps: OperatorDeps): ConsoleIntegrations {
  return {};
}
