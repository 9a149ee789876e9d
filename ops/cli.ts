/**
 * The operator CLI behind `npm run ops` (entry: bin/ops.ts). Not part of local mode: it reaches a running
 * local mode through its runtime.json, or a deployed stack through its outputs (both in ops/target.ts, shared
 * with the console), and runs the same use cases the handlers run.
 */
import { randomUUID } from 'node:crypto';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { listOutbox } from '../local/aws/outbox';
import { describeCredit, parseTransferAmount } from '../shared/domain/credit';
import { OrderStates } from '../shared/domain/order-state';
import type { OrderState } from '../shared/store';
import type { OrderCompletion } from '../shared/workflow/attention';
import { checkYay } from '../shared/yay/check';
import { createYayClient } from '../shared/yay/client';
import { YaySettingContextKeys } from '../shared/yay/settings';
import {
  awsTarget,
  DEFAULT_STACK,
  executionHistory,
  isConnectionError,
  localTarget,
  OpsError,
  operatorDeps,
  operatorObservability,
  type PublishedLine,
  type Target,
} from './target';

/** Where the CLI writes; tests capture both. */
export interface OpsIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

/** A usage or input error: exit code 2, the message names the flag or argument. */
class UsageError extends Error {}

const USAGE = `usage: npm run ops -- <command> [--aws [--stack <name>] [--region <region>]] [--data-dir <dir>]
  status <order>                             one order, its transfer, what it waits for and its timeline
  list [--state <state>]                     orders, oldest first
  attention                                  orders waiting for a person, each with the command that resolves it
  complete <order> [--first-name …] [--last-name …] [--email …] [--street …] [--street2 …] [--city …]
           [--zip …] [--state …] [--country XX] [--credit <amount>] [--reason <text>]
                                             supply what a parked order lacks (or the credit its money owes,
                                             decided by a person); it resumes, exactly once
  close <order> --reason <text>              settle an order's attention with nothing more to do
  replay <order> [--reason <text>] [--force] start a fresh execution (-r<n>); every step is idempotent
  resolve-transfer <order> --applied|--not-applied [--reason <text>]
                                             an operator's decision on an undecidable transfer
  resend-welcome <order> [--reason <text>]   the welcome of the order's customer again (same login and password)
  outbox [--order <order>]                   the e-mails local mode's SES stand-in wrote (local mode only)
  events [--order <order>]                   the events published for other systems, oldest first
  yay-check                                  read-only calls to the configured Yay API; reports its unknowns
                                             and any configured store front the account lacks`;

/** Every flag, as `node:util` parseArgs takes them; which command accepts which is {@link ALLOWED}. */
const OPTIONS = {
  aws: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  'data-dir': { type: 'string' },
  state: { type: 'string' },
  reason: { type: 'string' },
  force: { type: 'boolean' },
  applied: { type: 'boolean' },
  'not-applied': { type: 'boolean' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  email: { type: 'string' },
  street: { type: 'string' },
  street2: { type: 'string' },
  city: { type: 'string' },
  zip: { type: 'string' },
  country: { type: 'string' },
  credit: { type: 'string' },
  order: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

const COMPLETION_FLAGS = [
  'first-name',
  'last-name',
  'email',
  'street',
  'street2',
  'city',
  'zip',
  'state',
  'country',
  'credit',
] as const;
const COMMON = ['aws', 'stack', 'region', 'data-dir'];
const ALLOWED: Record<string, readonly string[]> = {
  status: [],
  list: ['state'],
  attention: [],
  complete: [...COMPLETION_FLAGS, 'reason'],
  close: ['reason'],
  replay: ['reason', 'force'],
  'resolve-transfer': ['applied', 'not-applied', 'reason'],
  'resend-welcome': ['reason'],
  outbox: ['order'],
  events: ['order'],
  'yay-check': [],
};

interface Parsed {
  command: string;
  positional: string[];
  flags: Flags;
}

function parse(argv: readonly string[]): Parsed {
  let values: Flags;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    // parseArgs names the flag ("Unknown option '--x'", "Option '--state <value>' argument missing").
    throw new UsageError((error as Error).message);
  }
  const [command, ...positional] = positionals;
  if (!command || values.help || command === 'help') throw new UsageError('');
  const allowed = ALLOWED[command];
  if (!allowed) throw new UsageError(`unknown command "${command}"`);
  for (const name of Object.keys(values)) {
    if (!allowed.includes(name) && !COMMON.includes(name))
      throw new UsageError(`unknown flag --${name} for ${command}`);
  }
  return { command, positional, flags: values };
}

function requireOrder(parsed: Parsed): string {
  const [order, extra] = parsed.positional;
  if (!order) throw new UsageError(`${parsed.command} needs an order key, e.g. stripe:default:cs_test_…`);
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  return order;
}

function millis(value: number | undefined): string {
  return value === undefined ? '-' : describeCredit(value);
}

async function status(io: OpsIo, target: Target, orderKey: string): Promise<void> {
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

async function list(io: OpsIo, target: Target, state: string | undefined): Promise<void> {
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

/** The fields `complete` supplies, from its flags; a bad credit amount is a usage error naming the flag. */
function completionFrom(flags: Flags): OrderCompletion {
  const completion: OrderCompletion = {};
  const text: Array<[keyof OrderCompletion, string | undefined]> = [
    ['firstName', flags['first-name']],
    ['lastName', flags['last-name']],
    ['email', flags.email],
    ['street', flags.street],
    ['street2', flags.street2],
    ['city', flags.city],
    ['zip', flags.zip],
    ['state', flags.state],
    ['country', flags.country],
  ];
  for (const [field, value] of text) {
    if (value === undefined) continue;
    if (value.trim() === '') throw new UsageError(`--${flagOf(field)} needs a value`);
    (completion as Record<string, string>)[field] = value.trim();
  }
  if (completion.country !== undefined && !/^[A-Za-z]{2}$/.test(completion.country)) {
    throw new UsageError(`--country must be a two-letter ISO code such as GB; got "${completion.country}"`);
  }
  if (flags.credit !== undefined) {
    try {
      completion.credit = parseTransferAmount(flags.credit);
    } catch (error) {
      throw new UsageError(`--credit: ${(error as Error).message}`);
    }
  }
  return completion;
}

function flagOf(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

async function attention(io: OpsIo, target: Target): Promise<void> {
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
function fromTag(value: string | undefined): string | undefined {
  return value ? Buffer.from(value, 'base64url').toString('utf8') : undefined;
}

/** One line per event: when, what, its id, the order, and what it says. */
function describeEvent(line: PublishedLine): string {
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
async function yayCheck(io: OpsIo, target: Target): Promise<boolean> {
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
