import { ItemKeys } from './item-keys';
import { getItem, mustExist, type Table, tryPut } from './table';

/** The store password of a customer, sealed (shared/yay/password-box.ts): the table never holds it in plain text. */
export interface PasswordStore {
  /**
   * Keeps `sealed` for the customer unless one is kept already, and returns the one kept: every retry of a
   * create, and the welcome, use the same password.
   */
  keep(customerName: string, sealed: string, now: Date): Promise<string>;
  get(customerName: string): Promise<string | undefined>;
}

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
