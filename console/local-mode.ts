/**
 * The console as local mode serves it at `/console` on its PORT (local/runtime.ts): the same console over
 * this process's own local mode, found by its runtime information rather than by reading runtime.json.
 */
import type { RuntimeInfo } from '../local/runtime-info';
import { operatorObservability, runtimeTarget } from '../ops/target';
import type { YayCredentials } from '../shared/secrets';
import { createConsole, type OperatorConsole } from './server';
import { sourcesFromTarget } from './sources';

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
