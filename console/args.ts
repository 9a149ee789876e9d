import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DEFAULT_STACK } from '../ops/target';

export const CONSOLE_USAGE =
  'usage: npm run console -- [--aws [--stack <name>] [--region <region>]] [--data-dir <dir>] ' +
  '[--port <n, default 3100>] [--host <address, default 127.0.0.1>]';

const OPTIONS = {
  aws: { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface ConsoleArgs {
  help: boolean;
  aws: boolean;
  stack: string;
  region: string | undefined;
  dataDir: string | undefined;
  port: number;
  host: string;
}

/** `npm run console`'s arguments, checked; an error names the flag. */
export function parseConsoleArgs(argv: readonly string[]): ConsoleArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const port = values.port === undefined ? 3100 : Number(values.port);
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be an integer from 0 to 65535; got "${values.port}"`);
  }
  if (!values.aws && (values.stack !== undefined || values.region !== undefined)) {
    throw new Error('--stack and --region go with --aws');
  }
  if (values.aws && values['data-dir'] !== undefined)
    throw new Error('--data-dir is for local mode, not --aws');
  return {
    help: values.help === true,
    aws: values.aws === true,
    stack: values.stack ?? DEFAULT_STACK,
    region: values.region,
    dataDir: values['data-dir'],
    port,
    host: values.host ?? '127.0.0.1',
  };
}
