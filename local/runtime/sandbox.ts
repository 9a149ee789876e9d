/** The in-process Yay sandbox, with a store front for every one the template configures. */
import type { Millis } from '../../shared/domain/credit';
import type { ConfiguredStoreFronts } from '../../shared/store-fronts';
import type { LocalConfig } from '../config';
import {
  DEFAULT_STORE_FRONT,
  type SandboxStoreFront,
  startYaySandbox,
  type YaySandbox,
} from '../yay-sandbox/server';
import type { Cleanups } from './cleanups';
import { portsOfFirstRuntime } from './stand-ins';
import type { StartLocalOptions } from './start-local';

/** The in-process Yay sandbox, unless YAY_API_BASE_URL names another endpoint (then undefined). */
export async function startSandbox(
  config: LocalConfig,
  options: StartLocalOptions['sandbox'],
  storeFronts: ConfiguredStoreFronts,
  cleanups: Cleanups,
): Promise<YaySandbox | undefined> {
  if (config.yayApiBaseUrl) return undefined;
  const sandbox = await startYaySandbox({
    resellerBalance: 100_000 as Millis,
    // The handlers keep the Yay base URL they read at import: a later runtime reuses the port.
    ...(portsOfFirstRuntime()?.yay ? { port: portsOfFirstRuntime()?.yay } : {}),
    ...options,
    credentials: config.yayCredentials,
    storeFronts: sandboxStoreFronts(storeFronts),
  });
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

/**
 * One sandbox store front per configured UUID, so a create under any of them succeeds, named after the stores
 * that use it (the default keeps the sandbox's own name).
 */
function sandboxStoreFronts(configured: ConfiguredStoreFronts): SandboxStoreFront[] {
  const storesOf = new Map<string, string[]>([[configured.default, []]]);
  for (const [store, uuid] of Object.entries(configured.stores)) {
    storesOf.set(uuid, [...(storesOf.get(uuid) ?? []), store]);
  }
  return [...storesOf].map(([uuid, stores]) => ({
    uuid,
    name:
      uuid === configured.default || stores.length === 0
        ? DEFAULT_STORE_FRONT.name
        : `${DEFAULT_STORE_FRONT.name} (${stores.join(', ')})`,
  }));
}
