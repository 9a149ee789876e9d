import { getItem, ItemKeys, mustExist, type Table, tryPut } from './table';
import type { PasswordStore } from './types';

/** The sealed store password of each customer, kept once: the first one stored wins every retry. */
export function passwordRepository(table: Table): PasswordStore {
  return {
    async keep(customerName, sealed, now) {
      const put = await tryPut<{ sealed: string }>(table, {
        ...ItemKeys.password(customerName),
        kind: 'password',
        customerName,
        sealed,
        createdAt: now.toISOString(),
      });
      if (put.applied) return sealed;
      return mustExist(await put.current(), `password of ${customerName}`).sealed;
    },

    async get(customerName) {
      return (await getItem<{ sealed: string }>(table, ItemKeys.password(customerName)))?.sealed;
    },
  };
}
