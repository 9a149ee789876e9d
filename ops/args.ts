/** `npm run ops`'s arguments: the usage, the flags each command takes, and their parsing. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseTransferAmount } from '../shared/domain/credit';
import type { OrderCompletion } from '../shared/workflow/attention';

/** A usage or input error: exit code 2, the message names the flag or argument. */
export class UsageError extends Error {}

export const USAGE = `usage: npm run ops -- <command> [--aws [--stack <name>] [--region <region>]] [--data-dir <dir>]
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

export type Flags = {
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

export interface Parsed {
  command: string;
  positional: string[];
  flags: Flags;
}

/** The command, its arguments and its flags, each flag checked against what the command takes (UsageError). */
export function parse(argv: readonly string[]): Parsed {
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

export function requireOrder(parsed: Parsed): string {
  const [order, extra] = parsed.positional;
  if (!order) throw new UsageError(`${parsed.command} needs an order key, e.g. stripe:default:cs_test_…`);
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  return order;
}

/** The fields `complete` supplies, from its flags; a bad credit amount is a usage error naming the flag. */
export function completionFrom(flags: Flags): OrderCompletion {
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

export function flagOf(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
