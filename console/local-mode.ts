/**
 * The console as local mode serves it at `/console` on its PORT: the same console over this process's own local
 * mode, found by its runtime information rather than by reading runtime.json. Local mode does not import the
 * console: the entry points (bin/start.ts, bin/demo.ts) hand it {@link consoleMount}.
 */
import type { RequestListener } from 'node:http';
import type { RuntimeInfo } from '../local/runtime-info';
import { operatorObservability, runtimeTarget } from '../ops/target';
import type { YayCredentials } from '../shared/secrets';
import { BASE } from './pages/layout';
import { createConsole, type OperatorConsole } from './server';
import { sourcesFromTarget } from './sources';

/** The console over a local mode's runtime information, reporting on `print`; `close` releases its clients. */
export function localModeConsole(
  info: RuntimeInfo,
  yayCredentials: YayCredentials,
  print: (line: string) => void,
): OperatorConsole & { close(): void } {
  const target = runtimeTarget(info, yayCredentials);
  const sources = sourcesFromTarget(target, { observability: operatorObservability(print) });
  // Local mode listens on 127.0.0.1 only.
  return { ...createConsole({ sources, loopbackOnly: true, report: print }), close: () => sources.close() };
}

/**
 * The console as a mount for local mode's front door (`startLocal({ mount: consoleMount })`): made once local
 * mode knows its address, opened at `<url>/console/?token=…` with a token made for this start.
 */
export const consoleMount = {
  prefix: BASE,
  create(runtime: { info: RuntimeInfo; yayCredentials: YayCredentials; print: (line: string) => void }): {
    listener: RequestListener;
    url: string;
    close(): void;
  } {
    const operatorConsole = localModeConsole(runtime.info, runtime.yayCredentials, runtime.print);
    return {
      listener: operatorConsole.listener,
      url: operatorConsole.urlFor(runtime.info.url),
      close: () => operatorConsole.close(),
    };
  },
};
