import {
  enterQueue,
  getItem,
  ItemKeys,
  inQueue,
  leaveQueue,
  mustExist,
  queueItems,
  queueSortKey,
  strip,
  type Table,
  tryPut,
  tryUpdate,
  Update,
} from './table';
import type { EmailRecord, EmailStore } from './types';

/** The marker key of an e-mail: one welcome per customer, one receipt per order. */
export const EmailKeys = {
  welcome: (customerName: string) => `welcome:${customerName}`,
  receipt: (orderKey: string) => `receipt:${orderKey}`,
};

/**
 * E-mail markers, one item per e-mail, in the `EMAIL` queue of the sparse index until SES has accepted it. Each
 * method is one conditional write, so two attempts can never both hold the claim.
 */
export function emailRepository(table: Table): EmailStore {
  const get = (key: string) => getItem<EmailRecord>(table, ItemKeys.email(key));

  return {
    get,

    async claim(record, attemptId, now, options = {}) {
      const at = now.toISOString();
      const created: EmailRecord = {
        ...record,
        status: 'SENDING',
        attemptId,
        attempts: 1,
        claimedAt: at,
        createdAt: at,
        updatedAt: at,
      };
      const put = await tryPut<EmailRecord>(table, {
        ...ItemKeys.email(record.key),
        kind: 'email',
        ...inQueue(ItemKeys.emails, queueSortKey(at, record.key)),
        ...created,
      });
      if (put.applied) return { claimed: true, record: created };

      const update = new Update()
        .set('status', 'SENDING')
        .set('attemptId', attemptId)
        .set('claimedAt', at)
        .set('updatedAt', at)
        .increment('attempts')
        .remove('reason')
        .remove('final');
      enterQueue(update, ItemKeys.emails, queueSortKey(at, record.key));
      const takeOver = [`#status = ${update.value('FAILED')}`];
      if (options.staleBefore) {
        takeOver.push(
          `(#status = ${update.value('SENDING')} AND claimedAt < ${update.value(options.staleBefore.toISOString())})`,
        );
      }
      if (options.resend) {
        update.increment('resends');
        takeOver.push(`#status = ${update.value('SENT')}`);
      }
      update.name('status');
      let condition = takeOver.join(' OR ');
      if (options.requestId) {
        // A person's request, delivered twice, takes over once.
        update.set('lastRequest', options.requestId);
        const last = update.name('lastRequest');
        condition = `(${condition}) AND (attribute_not_exists(${last}) OR ${last} <> ${update.value(options.requestId)})`;
      }
      const moved = await tryUpdate<EmailRecord>(table, ItemKeys.email(record.key), update, condition);
      if (moved.applied) return { claimed: true, record: moved.item };
      return { claimed: false, record: mustExist(await moved.current(), `e-mail ${record.key}`) };
    },

    async markSent(key, attemptId, messageId, now) {
      const update = new Update()
        .set('status', 'SENT')
        .set('messageId', messageId)
        .set('sentAt', now.toISOString())
        .set('updatedAt', now.toISOString())
        .remove('reason');
      leaveQueue(update);
      const condition = `#status = ${update.value('SENDING')} AND attemptId = ${update.value(attemptId)}`;
      update.name('status');
      return (await tryUpdate(table, ItemKeys.email(key), update, condition)).applied;
    },

    async markFailed(key, attemptId, reason, now, options = {}) {
      const update = new Update()
        .set('status', 'FAILED')
        .set('reason', reason)
        .set('updatedAt', now.toISOString());
      if (options.final) leaveQueue(update.set('final', true));
      const condition = `#status = ${update.value('SENDING')} AND attemptId = ${update.value(attemptId)}`;
      update.name('status');
      return (await tryUpdate(table, ItemKeys.email(key), update, condition)).applied;
    },

    async listUnsent() {
      const items = await queueItems(table, ItemKeys.emails, (item) => 'status' in item);
      return items.map((item) => strip<EmailRecord>(item));
    },

    async listForOrder(orderKey, customerName) {
      const found = await Promise.all([
        get(EmailKeys.receipt(orderKey)),
        customerName ? get(EmailKeys.welcome(customerName)) : undefined,
      ]);
      return found.filter(
        (record): record is EmailRecord => record !== undefined && record.orderKey === orderKey,
      );
    },
  };
}
