/** A Yay store front id: a UUID (any version, either case). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The store fronts a deployment is configured with: `default` (`yay:storeFront`) for every store not
 * listed, and `stores`, store id → store front, for each store that has its own (`provisioning:stores`).
 * The shape of the `StoreFronts` stack output and of local mode's `runtime.json`, which `ops yay-check` reads.
 */
export interface ConfiguredStoreFronts {
  readonly default: string;
  readonly stores: Readonly<Record<string, string>>;
}
