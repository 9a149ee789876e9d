import { enterQueue, inQueue, leaveQueue, queueItems, queueSortKey } from './indexes';
import { ItemKeys, strip } from './item-keys';
import { getItem, mustExist, type Table, tryPut, tryUpdate } from './table';
import { Update } from './update';

/** The buyer e-mails this system sends: one welcome per Yay customer, one receipt per later paid order. */
export type EmailKind = 'welcome' | 'receipt';

/**
 * Where one e-mail stands. `SENDING`: an attempt claimed it and may be talking to SES; `SENT`: SES accepted it
 * (its answer, or its "Email Sent" event); `FAILED`: SES refused it or could not be reached, to be tried again.
 */
export type EmailStatus = 'SENDING' | 'SENT' | 'FAILED';

/** One e-mail's record: the conditional marker that makes it at most once. Never holds the message body. */
export interface EmailRecord {
  /** (`kind` is the table's own item attribute.) */
  type: EmailKind;
  /** `welcome:<customerName>` or `receipt:<orderKey>`. */
  key: string;
  orderKey: string;
  customerName: string;
  status: EmailStatus;
  /** The attempt that holds (or last held) the claim; SES tags the message with it. */
  attemptId: string;
  /** Attempts claimed so far. */
  attempts: number;
  /** SES's message id once accepted. */
  messageId?: string;
  /** Why the last attempt failed (a code and SES's message; never an address or a password). */
  reason?: string;
  claimedAt: string;
  sentAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Sends a person asked for (`ops resend-welcome`) after the first. */
  resends?: number;
  /** The request id of the last resend a person asked for: a repeat of that request sends nothing more. */
  lastRequest?: string;
  /** A receipt's credit added and the balance after it, as the event gave them (`"10.000"`), for a retry. */
  amount?: string;
  balance?: string;
  /**
   * Set when the failure is definite (SES refused the message or the identity, the password no longer opens): no
   * automatic retry would change it, so the record leaves the retry queue; a person resends it.
   */
  final?: boolean;
}

/** The e-mail markers: each method is one conditional write (or a read). */
export interface EmailStore {
  get(key: string): Promise<EmailRecord | undefined>;
  /**
   * Claims the e-mail for `attemptId`: creates it `SENDING`, or takes over one `FAILED`, or one `SENDING` whose
   * claim is older than `staleBefore` (its attempt died), or, with `resend`, one `SENT` (a person's resend).
   * `claimed: false` returns the record as it stands.
   */
  claim(
    record: Pick<EmailRecord, 'type' | 'key' | 'orderKey' | 'customerName' | 'amount' | 'balance'>,
    attemptId: string,
    now: Date,
    options?: { staleBefore?: Date; resend?: boolean; requestId?: string },
  ): Promise<{ claimed: true; record: EmailRecord } | { claimed: false; record: EmailRecord }>;
  /** SES accepted the attempt's message: `SENT` (only from `SENDING` by that attempt). False when it had moved. */
  markSent(key: string, attemptId: string, messageId: string, now: Date): Promise<boolean>;
  /**
   * The attempt failed: `FAILED` with the reason (only from `SENDING` by that attempt); with `final`, out of the
   * retry queue as well.
   */
  markFailed(
    key: string,
    attemptId: string,
    reason: string,
    now: Date,
    options?: { final?: boolean },
  ): Promise<boolean>;
  /** E-mails not yet sent (`SENDING` or `FAILED`), oldest first: what the sweep retries. */
  listUnsent(): Promise<EmailRecord[]>;
  /** An order's e-mails: its receipt, and the welcome of its customer when this order created it. */
  listForOrder(orderKey: string, customerName?: string): Promise<EmailRecord[]>;
}

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
