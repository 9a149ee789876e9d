import * as z from 'zod';
import { EnvNames, requireEnv } from './config';
import { ConfigInvalid } from './errors';

/** A Yay store front id: a UUID (any version, either case). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The context keys that configure store fronts (infra/config/ reads them; `ops yay-check` names them). */
export const StoreFrontContextKeys = {
  default: 'yay:storeFront',
  stores: 'provisioning:stores',
} as const;

/** The store front new customers of `store` (the order key's store id) go under. */
export type StoreFrontFor = (store: string) => string;

/**
 * The store fronts a deployment is configured with: `default` (`yay:storeFront`) for every store not
 * listed, and `stores`, store id → store front, for each store that has its own (`provisioning:stores`).
 * The shape of the `StoreFronts` stack output and of local mode's `runtime.json`, which `ops yay-check` reads.
 */
export interface ConfiguredStoreFronts {
  readonly default: string;
  readonly stores: Readonly<Record<string, string>>;
}

const Uuid = z.string().regex(UUID_PATTERN);
/** `YAY_STORE_FRONTS`: `{"<store id>":"<store front uuid>"}`. */
const StoreFrontMapSchema = z.record(z.string().min(1), Uuid);
export const ConfiguredStoreFrontsSchema = z.object({ default: Uuid, stores: StoreFrontMapSchema });

/**
 * The lookup create-customer is given: the store's own store front, else the default. A Map, so a store id
 * such as `constructor` finds nothing inherited from Object.prototype.
 */
export function storeFrontLookup(configured: ConfiguredStoreFronts): StoreFrontFor {
  const byStore = new Map(Object.entries(configured.stores));
  return (store) => byStore.get(store) ?? configured.default;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Reads `YAY_STORE_FRONT` (the default) and `YAY_STORE_FRONTS` (the stores' own) once, at import. Both are
 * required: infra always sets the map (`{}` for a single store front), and a function that silently put every
 * store under the default would be wrong where nobody looks. Throws {@link ConfigInvalid} naming the variable
 * (and the store id) on bad JSON or a value that is not a UUID.
 */
export function storeFrontsFromEnv(env: NodeJS.ProcessEnv = process.env): ConfiguredStoreFronts {
  const name = EnvNames.YAY_STORE_FRONTS;
  const fallback = requireEnv(EnvNames.YAY_STORE_FRONT, env);
  const raw = requireEnv(name, env);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigInvalid(
      `environment variable ${name} must be JSON {"<store id>":"<store front uuid>"}, got ${show(raw)}`,
    );
  }
  const parsed = StoreFrontMapSchema.safeParse(json);
  if (!parsed.success) {
    const store = parsed.error.issues[0]?.path[0];
    throw new ConfigInvalid(
      store === undefined
        ? `environment variable ${name} must be a JSON object {"<store id>":"<store front uuid>"}, got ${show(raw)}`
        : `environment variable ${name} entry "${String(store)}" must be a store front UUID, got ${show(
            (json as Record<string, unknown>)[String(store)],
          )}`,
    );
  }
  return Object.freeze({ default: fallback, stores: Object.freeze({ ...parsed.data }) });
}
