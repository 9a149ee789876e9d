import * as z from 'zod';
import { type ConfiguredStoreFronts, UUID_PATTERN } from '../../shared/store-fronts';
import { HttpsUrl, refuse } from './context-value';

/**
 * One store's entry of `provisioning:stores`. Every field is optional: what an entry leaves out, the store
 * takes from the deployment's default, so a later per-store setting can be given without repeating the rest.
 */
export interface StoreSettings {
  /** The Yay store front the store's new customers go under. @default `yay:storeFront` */
  readonly storeFront?: string;
  /** The sign-in address (https) the store's buyers are e-mailed. @default `yay:storeLoginUrl` */
  readonly loginUrl?: string;
}

/** Store id → its own settings; empty when every store takes the defaults. */
export type Stores = Readonly<Record<string, StoreSettings>>;

/**
 * One store's entry, strict: a misspelt field (`storefront`) is refused by name instead of silently leaving
 * the store on the default store front. A new per-store field is one line here and one in {@link STORE_FIELDS}.
 */
const StoreSettingsSchema = z.strictObject({
  storeFront: z.string().regex(UUID_PATTERN).optional(),
  loginUrl: HttpsUrl.optional(),
});
/** What each field of a store's entry must be, for the error message. */
const STORE_FIELDS: Record<keyof z.infer<typeof StoreSettingsSchema>, string> = {
  storeFront: 'must be a UUID',
  loginUrl: 'must be an https URL',
};
const STORE_ENTRY_SHAPE = '{"storeFront":"<uuid>","loginUrl":"<https URL>"}';
const STORES_SHAPE = `must be a JSON object {"<store id>":${STORE_ENTRY_SHAPE}}`;
/**
 * Lambda allows 4 KB for all of a function's variables together. create-customer gets the stores' store fronts as
 * one variable (about 40 stores fit), notify the stores' sign-in addresses as another, beside the default one:
 * each function's other variables take under 1 KB.
 */
export const MAX_STORE_MAP_ENV_BYTES = 3_000;

/**
 * `provisioning:stores`, optional: `{"<store id>": {"storeFront": "<uuid>", "loginUrl": "<https URL>"}}`, as JSON or a
 * JSON string (`-c`). A refusal names the store and the field; the store fronts must fit create-customer's
 * environment.
 */
export const StoresSchema = z.unknown().transform((raw, ctx): Stores => {
  if (raw === undefined || raw === null || raw === '') return Object.freeze({});
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return refuse(ctx, STORES_SHAPE, raw);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return refuse(ctx, STORES_SHAPE, raw);
  const stores: Record<string, StoreSettings> = {};
  for (const [store, entry] of Object.entries(value)) {
    if (store === '' || /\s/.test(store)) {
      return refuse(ctx, 'has a store id that is empty or contains spaces', store);
    }
    // Shopify domains and WooCommerce hosts are lower-cased into the order key: this entry would never match.
    if (store.includes('.') && store !== store.toLowerCase()) {
      return refuse(
        ctx,
        `must be written lower-case, as order keys carry it (${store.toLowerCase()})`,
        store,
        [store],
      );
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return refuse(ctx, `must be an object ${STORE_ENTRY_SHAPE}`, entry, [store]);
    }
    const parsed = StoreSettingsSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const fields = entry as Record<string, unknown>;
      if (issue?.code === 'unrecognized_keys') {
        const field = String(issue.keys[0]);
        return refuse(
          ctx,
          `is not a field of a store (known: ${Object.keys(STORE_FIELDS).join(', ')})`,
          fields[field],
          [store, field],
        );
      }
      const field = String(issue?.path[0]) as keyof typeof STORE_FIELDS;
      return refuse(ctx, STORE_FIELDS[field] ?? 'is invalid', fields[field], [store, field]);
    }
    stores[store] = Object.freeze(
      Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)),
    ) as StoreSettings;
  }
  const envBytes = Buffer.byteLength(JSON.stringify(storeMapOf(stores, 'storeFront')));
  if (envBytes > MAX_STORE_MAP_ENV_BYTES) {
    return refuse(
      ctx,
      `gives create-customer ${envBytes} bytes of store fronts, more than the ${MAX_STORE_MAP_ENV_BYTES} that fit in Lambda's 4 KB of environment`,
      `${Object.keys(stores).length} stores`,
    );
  }
  return Object.freeze(stores);
});

/** Each store's own value of `field`, leaving out the stores that take the default. */
export function storeMapOf(stores: Stores, field: keyof StoreSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [store, settings] of Object.entries(stores)) {
    const value = settings[field];
    if (value !== undefined) out[store] = value;
  }
  return out;
}

/**
 * The default store front and each store's own, as create-customer (`YAY_STORE_FRONTS`) and the `StoreFronts`
 * output take them: stores listed without a `storeFront` take the default and are left out.
 */
export function configuredStoreFronts(config: {
  readonly yayStoreFront: string;
  readonly stores: Stores;
}): ConfiguredStoreFronts {
  return { default: config.yayStoreFront, stores: storeMapOf(config.stores, 'storeFront') };
}

/**
 * The stores' own sign-in addresses, as notify takes them (`STORE_LOGIN_URLS`): stores listed without a
 * `loginUrl` take `yay:storeLoginUrl` and are left out.
 */
export function configuredLoginUrls(config: { readonly stores: Stores }): Readonly<Record<string, string>> {
  return storeMapOf(config.stores, 'loginUrl');
}
