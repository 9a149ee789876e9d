import { inQueue, queueItems } from './indexes';
import { EXPIRES, ItemKeys, PK } from './item-keys';
import { type Table, tryDelete, tryPut } from './table';

/** A stored lease: `holder` has `resource` until `expiresAt`, after which it counts as gone. */
export interface Lease {
  resource: string;
  holder: string;
  expiresAt: Date;
}

/** Per-customer lease: two transfers to one customer never overlap. */
export interface LeaseStore {
  /** True when taken (absent or expired); false when another holder's lease is live. */
  acquire(resource: string, holder: string, ttlSeconds: number, now: Date): Promise<boolean>;
  /** Releases only our own lease (a conditional delete); a lease already taken over is left alone. */
  release(resource: string, holder: string): Promise<void>;
  /**
   * Every lease still stored, expired ones included (DynamoDB's TTL deletes them late, dynalite never), in one
   * query: local mode releases at start what a killed process held.
   */
  listHeld(): Promise<Lease[]>;
}

/**
 * Per-customer leases, one item per resource, also in the `LEASE` queue of the sparse index so that the
 * leases still stored can be listed with one query.
 */
export function leaseRepository(table: Table): LeaseStore {
  return {
    async acquire(resource, holder, ttlSeconds, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const put = await tryPut(
        table,
        {
          ...ItemKeys.lease(resource),
          kind: 'lease',
          ...inQueue(ItemKeys.leases, resource),
          resource,
          holder,
          [EXPIRES]: nowSeconds + ttlSeconds,
        },
        {
          // dynalite never expires items, and DynamoDB TTL deletes late: an expired lease counts as gone.
          expression: 'attribute_not_exists(#pk) OR #expires <= :now OR holder = :holder',
          names: { '#pk': PK, '#expires': EXPIRES },
          values: { ':now': nowSeconds, ':holder': holder },
        },
      );
      return put.applied;
    },

    async release(resource, holder) {
      await tryDelete(table, ItemKeys.lease(resource), {
        expression: 'holder = :holder',
        values: { ':holder': holder },
      });
    },

    async listHeld() {
      const items = await queueItems(table, ItemKeys.leases, (item) => 'holder' in item);
      return items.map((item) => ({
        resource: String(item.resource),
        holder: String(item.holder),
        expiresAt: new Date(Number(item[EXPIRES]) * 1000),
      }));
    },
  };
}
