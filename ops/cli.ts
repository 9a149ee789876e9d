/**
 * The operator CLI behind `npm run ops` (entry: bin/ops.ts). Not part of local mode: it reaches a running
 * local mode through its runtime.json, or a deployed stack through its outputs (both in ops/target.ts, shared
 * with the console), and runs the same use cases the handlers run.
 */
import { randomUUID } from 'node:crypto';
import { listOutbox } from '../local/aws/outbox';
import { completionFrom, type Parsed, parse, requireOrder, USAGE, UsageError } from './args';
import { OpsError } from './errors';
import { attention, describeEvent, fromTag, list, status, yayCheck } from './reports';
import {
  awsTarget,
  DEFAULT_STACK,
  isConnectionError,
  localTarget,
  operatorDeps,
  operatorObservability,
  type Target,
} from './target';

/** Where the CLI writes; tests capture both. */
export interface OpsIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}
/**
 * Runs one ops command; resolves with the exit code (0 ok, 1 operational failure, 2 usage).
 * Never prints a secret: credentials are read into the client only, task tokens are not returned by the store.
 */
export async function runOps(argv: readonly string[], io: OpsIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    const message = (error as Error).message;
    if (message) io.err(message);
    io.err(USAGE);
    return 2;
  }
  let target: Target | undefined;
  const { flags } = parsed;
  try {
    target = flags.aws
      ? await awsTarget(io.env, flags.stack ?? DEFAULT_STACK, flags.region)
      : await localTarget(io.env, flags['data-dir']);
    const deps = operatorDeps(target, operatorObservability(io.err));
    const reason = (fallback: string) => flags.reason?.trim() || fallback;
    switch (parsed.command) {
      case 'status':
        await status(io, target, requireOrder(parsed));
        return 0;
      case 'list':
        if (parsed.positional.length > 0)
          throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
        await list(io, target, flags.state);
        return 0;
      case 'attention':
        if (parsed.positional.length > 0)
          throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
        await attention(io, target);
        return 0;
      case 'complete': {
        const orderKey = requireOrder(parsed);
        const completion = completionFrom(flags);
        if (Object.keys(completion).length === 0) {
          throw new UsageError('complete needs at least one field to supply (a detail, or --credit)');
        }
        const { completeOrder } = await import('../shared/workflow/attention');
        const result = await completeOrder(deps, orderKey, completion, reason('ops complete'));
        io.out(`completed ${orderKey}: resumed as ${result.executionName}`);
        return 0;
      }
      case 'close': {
        const orderKey = requireOrder(parsed);
        if (!flags.reason?.trim())
          throw new UsageError('close needs --reason <text>: it is kept on the order');
        const { closeOrder } = await import('../shared/workflow/attention');
        const order = await closeOrder(deps, orderKey, flags.reason.trim());
        io.out(`closed ${orderKey}: it is ${order.state} and waits for nobody`);
        return 0;
      }
      case 'replay': {
        const orderKey = requireOrder(parsed);
        const { replayOrder } = await import('../shared/workflow/replay');
        const why = reason('ops replay');
        const result = await replayOrder(deps, orderKey, why, {
          force: flags.force === true,
          action: { action: 'replay', at: new Date().toISOString(), reason: why },
        });
        io.out(`replayed ${orderKey} as ${result.executionName}`);
        return 0;
      }
      case 'resolve-transfer': {
        const orderKey = requireOrder(parsed);
        const applied = flags.applied === true;
        const notApplied = flags['not-applied'] === true;
        if (applied === notApplied)
          throw new UsageError('resolve-transfer needs exactly one of --applied or --not-applied');
        const { resolveTransfer } = await import('../shared/workflow/reconcile-transfer');
        const { intent, replay } = await resolveTransfer(
          deps,
          orderKey,
          applied ? 'applied' : 'not-applied',
          reason('ops resolve-transfer'),
        );
        io.out(
          `transfer for ${orderKey} is now ${intent.status}` +
            (replay ? ` — resumed as ${replay.executionName}, which moves the credit once` : ''),
        );
        return 0;
      }
      case 'resend-welcome': {
        const orderKey = requireOrder(parsed);
        const outcome = (await target.invokeNotify({
          job: 'resend-welcome',
          orderKey,
          reason: reason('ops resend-welcome'),
          requestId: randomUUID(),
        })) as { result: string; status?: string; detail?: string };
        if (outcome.result === 'sent') {
          io.out(`welcome for ${orderKey} sent again`);
          return 0;
        }
        io.err(
          outcome.result === 'off'
            ? `e-mail is off in ${target.where}: configure provisioning:emailSender`
            : `welcome for ${orderKey} not sent (${outcome.result}${outcome.status ? `, ${outcome.status}` : ''})` +
                `${outcome.detail ? `: ${outcome.detail}` : ''}`,
        );
        return 1;
      }
      case 'outbox': {
        if (parsed.positional.length > 0)
          throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
        if (!target.outboxDir) {
          throw new OpsError(
            'the outbox is local mode’s: a deployed stack sends through SES (ops status shows each order’s e-mails)',
          );
        }
        const messages = listOutbox(target.outboxDir).filter(
          (message) => !flags.order || fromTag(message.tags.order) === flags.order,
        );
        if (messages.length === 0)
          io.out(flags.order ? `no e-mails for ${flags.order}` : 'the outbox is empty');
        for (const message of messages) {
          io.out(
            `${message.date}  ${message.tags.kind ?? '-'}  to ${message.to.join(', ')}  "${message.subject}"` +
              `  ${fromTag(message.tags.order) ?? '-'}`,
          );
          io.out(`    ${message.file}`);
        }
        return 0;
      }
      case 'events': {
        if (parsed.positional.length > 0)
          throw new UsageError(`unexpected argument "${parsed.positional[0]}"`);
        const lines = await target.publishedEvents(flags.order);
        if (lines.length === 0) io.out(flags.order ? `no events for ${flags.order}` : 'no events published');
        for (const line of lines) io.out(describeEvent(line));
        return 0;
      }
      case 'yay-check':
        return (await yayCheck(io, target)) ? 0 : 1;
      default:
        throw new UsageError(`unknown command "${parsed.command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      io.err(USAGE);
      return 2;
    }
    if (error instanceof OpsError) {
      io.err(error.message);
      return 1;
    }
    if (isConnectionError(error)) {
      io.err(`cannot reach ${target?.where ?? 'the endpoint'}: ${(error as Error).message}`);
      return 1;
    }
    // Use-case refusals (unknown order, not awaiting a decision) carry a message meant for the operator.
    io.err(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    return 1;
  } finally {
    target?.close();
  }
}
