import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { paymentKey } from '../domain/keys';
import type { OrderEvent } from '../domain/order-event';
import { TableSchema } from './schema';
import {
  type BuyerCustomer,
  type BuyerStore,
  type LeaseStore,
  type OrderQueries,
  type OrderRecord,
  type OrderState,
  type OrderStore,
  type OrderView,
  StartableTransferStatuses,
  type TransferIntent,
  type TransferIntentStatus,
  type TransferPatch,
  type TransferStore,
  UnsettledTransferStatuses,
} from './types';

const PK = TableSchema.partitionKey;
const SK = TableSchema.sortKey;

function itemKey(pk: string, sk: string): Record<string, string> {
  return { [PK]: pk, [SK]: sk };
}

const ORDER_PREFIX = 'ORDER#';

/** Item key layout inside the single table (pk/sk names come from {@link TableSchema}). */
export const ItemKeys = {
  order: (orderKey: string) => itemKey(`${ORDER_PREFIX}${orderKey}`, 'ORDER'),
  transfer: (orderKey: string) => itemKey(`${ORDER_PREFIX}${orderKey}`, 'TRANSFER'),
  buyer: (buyerKey: string) => itemKey(`BUYER#${buyerKey}`, 'CUSTOMER'),
  lease: (resource: string) => itemKey(`LEASE#${resource}`, 'LEASE'),
  /** Partitions of the sparse index: open orders, and transfers whose outcome is not settled. */
  openOrders: 'ORDER',
  openTransfers: 'TRANSFER',
  attention: 'ATTENTION',
} as const;

const OPEN_PK = TableSchema.openOrdersIndex.partitionKey;
const OPEN_SK = TableSchema.openOrdersIndex.sortKey;
const EXPIRES = TableSchema.ttlAttribute;
const INTERNAL = new Set<string>([PK, SK, OPEN_PK, OPEN_SK, EXPIRES, 'kind']);

/** Everything the workflow and the ops CLI need from the table. */
export type DynamoStore = OrderStore & OrderQueries & BuyerStore & TransferStore & LeaseStore;

export interface DynamoStoreOptions {
  tableName: string;
  /** Defaults to a new client; `AWS_ENDPOINT_URL_DYNAMODB` is honoured by the SDK (local mode, dynalite). */
  client?: DynamoDBClient;
}

/** Builds the document client the way every handler does: undefined fields are dropped, not rejected. */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** The PaymentRefs index key of an event's payment: `provider:store:<payment id>`. */
function paymentRefOf(event: OrderEvent): string | undefined {
  return event.paymentRef ? paymentKey(event.provider, event.store, event.paymentRef) : undefined;
}

function strip<T>(item: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!INTERNAL.has(key)) out[key] = value;
  return out as T;
}

function toView(order: OrderRecord): OrderView {
  const { taskToken, ...rest } = order;
  return { ...rest, waitingForPayment: taskToken !== undefined };
}

/**
 * The DynamoDB repository. Each method is one conditional write (or a read), because dynalite has no
 * transactions and a crash may fall between any two writes: callers order their writes so that every
 * prefix of a sequence is a state the next attempt understands (see shared/workflow/transfer-credit.ts).
 */
export function createDynamoStore(options: DynamoStoreOptions): DynamoStore {
  const doc = documentClient(options.client);
  const TableName = options.tableName;

  async function getItem<T>(key: Record<string, string>): Promise<T | undefined> {
    const out = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return out.Item ? strip<T>(out.Item) : undefined;
  }

  /** Follows `LastEvaluatedKey` until the last page. */
  async function readAllPages(
    page: (start?: Record<string, unknown>) => Promise<{
      Items?: Record<string, unknown>[];
      LastEvaluatedKey?: Record<string, unknown>;
    }>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await page(start);
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  const queryAll = (input: Omit<QueryCommandInput, 'TableName'>) =>
    readAllPages((ExclusiveStartKey) =>
      doc.send(new QueryCommand({ ...input, TableName, ExclusiveStartKey })),
    );

  const scanAll = (input: Omit<ScanCommandInput, 'TableName'>) =>
    readAllPages((ExclusiveStartKey) =>
      doc.send(new ScanCommand({ ...input, TableName, ExclusiveStartKey })),
    );

  /** Reads the sparse index; re-reads an item when the index projects keys only (infra's choice). */
  async function listIndex<T>(partition: string, full: (item: Record<string, unknown>) => boolean) {
    const items = await queryAll({
      IndexName: TableSchema.openOrdersIndex.name,
      KeyConditionExpression: '#open = :p',
      ExpressionAttributeNames: { '#open': OPEN_PK },
      ExpressionAttributeValues: { ':p': partition },
    });
    const out: T[] = [];
    for (const item of items) {
      if (full(item)) out.push(strip<T>(item));
      else {
        const again = await getItem<T>(itemKey(String(item[PK]), String(item[SK])));
        if (again) out.push(again);
      }
    }
    return out;
  }

  const getOrder = (orderKey: string) => getItem<OrderRecord>(ItemKeys.order(orderKey));
  const getIntent = (orderKey: string) => getItem<TransferIntent>(ItemKeys.transfer(orderKey));

  function requireOrder(order: OrderRecord | undefined, orderKey: string): OrderRecord {
    // Only reachable if the item was deleted between a failed condition and the re-read.
    if (!order) throw new Error(`order ${orderKey} disappeared during a conditional write`);
    return order;
  }

  function openIndexValues(createdAt: string, orderKey: string) {
    return { [OPEN_PK]: ItemKeys.openOrders, [OPEN_SK]: `${createdAt}#${orderKey}` };
  }

  const store: DynamoStore = {
    get: getOrder,

    async record(event: OrderEvent, executionName: string, now: Date) {
      const at = now.toISOString();
      const paymentRef = paymentRefOf(event);
      const order: OrderRecord = {
        orderKey: event.orderKey,
        event,
        buyerKey: event.buyerKey,
        ...(paymentRef ? { paymentRef } : {}),
        state: 'open',
        payment: event.kind === 'paid' ? 'paid' : 'unpaid',
        paidAt: event.kind === 'paid' ? at : undefined,
        executionName,
        replays: 0,
        createdAt: at,
        updatedAt: at,
      };
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...ItemKeys.order(event.orderKey),
              kind: 'order',
              ...openIndexValues(at, event.orderKey),
              ...order,
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
        return { order, created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // A stub written by an early payment event has no `event`: fill it in and open the order, once.
      const existing = requireOrder(await getOrder(event.orderKey), event.orderKey);
      if (existing.event) return { order: existing, created: false };
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(event.orderKey),
            UpdateExpression:
              // A stub a person already has in front of them (ATTENTION) stays there.
              'SET #event = :event, executionName = if_not_exists(executionName, :name), ' +
              '#open = if_not_exists(#open, :openPk), #openSk = if_not_exists(#openSk, :openSk), updatedAt = :at' +
              (event.buyerKey ? ', buyerKey = :buyer' : '') +
              (paymentRef ? ', paymentRef = :paymentRef' : ''),
            ConditionExpression: 'attribute_not_exists(#event)',
            ExpressionAttributeNames: { '#event': 'event', '#open': OPEN_PK, '#openSk': OPEN_SK },
            ExpressionAttributeValues: {
              ':event': event,
              ...(event.buyerKey ? { ':buyer': event.buyerKey } : {}),
              ...(paymentRef ? { ':paymentRef': paymentRef } : {}),
              ':name': executionName,
              ':openPk': ItemKeys.openOrders,
              ':openSk': `${existing.createdAt}#${event.orderKey}`,
              ':at': at,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { order: strip<OrderRecord>(out.Attributes ?? {}), created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { order: requireOrder(await getOrder(event.orderKey), event.orderKey), created: false };
      }
    },

    async markPayment(orderKey, status, now) {
      const at = now.toISOString();
      try {
        // An UpdateItem on a missing key creates it: an out-of-order payment event leaves a stub that the
        // later placed/paid event completes (see `record`). The stub is not in the open index: nothing to run yet.
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression:
              'SET payment = :status, orderKey = :key, updatedAt = :at, createdAt = if_not_exists(createdAt, :at), ' +
              '#state = if_not_exists(#state, :open), replays = if_not_exists(replays, :zero), #kind = :kind' +
              (status === 'paid' ? ', paidAt = if_not_exists(paidAt, :at)' : ''),
            // Only from unpaid: a repeat finds the status already set (applied false, same status) and a
            // contradiction finds the other one, which is how callers tell the two apart.
            ConditionExpression: 'attribute_not_exists(payment) OR payment = :unpaid',
            ExpressionAttributeNames: { '#state': 'state', '#kind': 'kind' },
            ExpressionAttributeValues: {
              ':status': status,
              ':key': orderKey,
              ':at': at,
              ':open': 'open',
              ':zero': 0,
              ':unpaid': 'unpaid',
              ':kind': 'order',
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { applied: true, order: strip<OrderRecord>(out.Attributes ?? {}) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { applied: false, order: requireOrder(await getOrder(orderKey), orderKey) };
      }
    },

    async markRefunded(orderKey, now) {
      const at = now.toISOString();
      const out = await doc.send(
        new UpdateCommand({
          TableName,
          Key: ItemKeys.order(orderKey),
          UpdateExpression:
            'SET refunded = :true, orderKey = :key, updatedAt = :at, createdAt = if_not_exists(createdAt, :at), ' +
            '#state = if_not_exists(#state, :open), payment = if_not_exists(payment, :unpaid), ' +
            'replays = if_not_exists(replays, :zero), #kind = :kind',
          ExpressionAttributeNames: { '#state': 'state', '#kind': 'kind' },
          ExpressionAttributeValues: {
            ':true': true,
            ':key': orderKey,
            ':at': at,
            ':open': 'open',
            ':unpaid': 'unpaid',
            ':zero': 0,
            ':kind': 'order',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return strip<OrderRecord>(out.Attributes ?? {});
    },

    async storeTaskToken(orderKey, taskToken, now) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression: 'SET taskToken = :token, #state = :waiting, updatedAt = :at',
            // Only while unpaid: a confirmation that got in first leaves `paid`, and we resume at once.
            ConditionExpression: 'attribute_exists(#pk) AND payment = :unpaid',
            ExpressionAttributeNames: { '#pk': PK, '#state': 'state' },
            ExpressionAttributeValues: {
              ':token': taskToken,
              ':waiting': 'awaiting_payment',
              ':at': now.toISOString(),
              ':unpaid': 'unpaid',
            },
          }),
        );
        return { stored: true } as const;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { stored: false, order: await getOrder(orderKey) } as const;
      }
    },

    async recordCustomer(event, customer, now) {
      const at = now.toISOString();
      const out = await doc.send(
        new UpdateCommand({
          TableName,
          Key: ItemKeys.order(event.orderKey),
          // if_not_exists everywhere: a console-started execution for an order dispatch never saw still
          // leaves a complete, open order behind; an order dispatch did record keeps what it has.
          UpdateExpression:
            'SET customerUuid = :uuid, customerName = :name, updatedAt = :at, orderKey = :key, ' +
            (event.buyerKey ? 'buyerKey = if_not_exists(buyerKey, :buyer), ' : '') +
            '#event = if_not_exists(#event, :event), ' +
            'payment = if_not_exists(payment, :payment), #state = if_not_exists(#state, :open), ' +
            'createdAt = if_not_exists(createdAt, :at), replays = if_not_exists(replays, :zero), ' +
            '#open = if_not_exists(#open, :openPk), #openSk = if_not_exists(#openSk, :openSk), #kind = :kind',
          ExpressionAttributeNames: {
            '#event': 'event',
            '#state': 'state',
            '#open': OPEN_PK,
            '#openSk': OPEN_SK,
            '#kind': 'kind',
          },
          ExpressionAttributeValues: {
            ':uuid': customer.uuid,
            ':name': customer.name,
            ':at': at,
            ':key': event.orderKey,
            ...(event.buyerKey ? { ':buyer': event.buyerKey } : {}),
            ':event': event,
            ':payment': event.kind === 'paid' ? 'paid' : 'unpaid',
            ':open': 'open',
            ':zero': 0,
            ':openPk': ItemKeys.openOrders,
            ':openSk': `${at}#${event.orderKey}`,
            ':kind': 'order',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return strip<OrderRecord>(out.Attributes ?? {});
    },

    async recordOutcome(orderKey, outcome, error, now, options = {}) {
      const at = now.toISOString();
      const { attention, unlessPaid } = options;
      const values: Record<string, unknown> = {
        ':outcome': outcome,
        ':at': at,
        ':key': orderKey,
        ':unpaid': 'unpaid',
        ':zero': 0,
        ':fulfilled': 'fulfilled',
        ':kind': 'order',
      };
      const sets = [
        'outcome = :outcome',
        '#state = :outcome',
        'updatedAt = :at',
        'orderKey = :key',
        'createdAt = if_not_exists(createdAt, :at)',
        'payment = if_not_exists(payment, :unpaid)',
        'replays = if_not_exists(replays, :zero)',
        '#kind = :kind',
      ];
      const removes = ['taskToken'];
      if (error) {
        sets.push('lastError = :error');
        values[':error'] = error;
      }
      if (attention) {
        // Waiting for a person: into the ATTENTION queue (an order there is never open, so one attribute serves).
        sets.push('attention = :attention', '#open = :attnPk', '#openSk = :attnSk');
        values[':attention'] = attention;
        values[':attnPk'] = ItemKeys.attention;
        values[':attnSk'] = `${attention.since}#${orderKey}`;
      } else {
        removes.push('attention', '#open', '#openSk');
      }
      // A late replay that fails must not turn a fulfilled order (credit moved) into a failed one.
      let condition = 'attribute_not_exists(outcome) OR outcome <> :fulfilled OR :outcome = :fulfilled';
      if (unlessPaid) {
        condition = `(${condition}) AND (attribute_not_exists(payment) OR payment <> :paid)`;
        values[':paid'] = 'paid';
      }
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: {
              '#state': 'state',
              '#open': OPEN_PK,
              '#openSk': OPEN_SK,
              '#kind': 'kind',
            },
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { applied: true, order: strip<OrderRecord>(out.Attributes ?? {}) };
      } catch (caught) {
        if (!isConditionFailure(caught)) throw caught;
      }
      const order = requireOrder(await getOrder(orderKey), orderKey);
      if (!unlessPaid || order.payment !== 'paid' || order.outcome === 'fulfilled') {
        return { applied: false, order };
      }
      // The payment arrived while the window closed: keep the order open (and in the sweep's queue), so the
      // sweep starts the execution that credits it; the token is gone, as the wait has ended. A retry of this
      // same expiry after the outcome was written finds it there and leaves it (the late-payment path credits it).
      let out: { Attributes?: Record<string, unknown> };
      try {
        out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression:
              'SET #state = :open, updatedAt = :at, #open = :openPk, #openSk = :openSk REMOVE taskToken',
            ConditionExpression: 'attribute_not_exists(outcome)',
            ExpressionAttributeNames: { '#state': 'state', '#open': OPEN_PK, '#openSk': OPEN_SK },
            ExpressionAttributeValues: {
              ':open': 'open',
              ':at': at,
              ':openPk': ItemKeys.openOrders,
              ':openSk': `${order.createdAt}#${orderKey}`,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
      } catch (caught) {
        if (!isConditionFailure(caught)) throw caught;
        return { applied: false, order: requireOrder(await getOrder(orderKey), orderKey) };
      }
      return { applied: false, reopened: true, order: strip<OrderRecord>(out.Attributes ?? {}) };
    },

    async flagAttention(orderKey, attention, now, options = {}) {
      const values: Record<string, unknown> = {
        ':attention': attention,
        ':attnPk': ItemKeys.attention,
        ':attnSk': `${attention.since}#${orderKey}`,
        ':at': now.toISOString(),
      };
      const sets = ['attention = :attention', '#open = :attnPk', '#openSk = :attnSk', 'updatedAt = :at'];
      let condition = 'attribute_exists(#pk)';
      if (options.once === 'refundAfterCredit') {
        // The order keeps its state (fulfilled: the credit did move); the marker makes the flag once per order.
        // A transfer still under review keeps its attention: it must be decided first (resolve-transfer flags
        // the refund once it is decided applied).
        sets.push('refundAfterCreditAt = :at');
        values[':review'] = 'transfer_review';
        condition +=
          ' AND attribute_not_exists(refundAfterCreditAt)' +
          ' AND (attribute_not_exists(attention) OR attention.reason <> :review)';
      } else {
        // Parked for a person, but never over a fulfilled order (its credit moved, and its state says so), and
        // once per reason: a repeated event finds it already waiting.
        sets.push('#state = :needs', 'outcome = :needs');
        values[':needs'] = 'needs_attention';
        values[':fulfilled'] = 'fulfilled';
        values[':reason'] = attention.reason;
        condition +=
          ' AND (attribute_not_exists(outcome) OR outcome <> :fulfilled)' +
          ' AND (attribute_not_exists(attention) OR attention.reason <> :reason)';
      }
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression: `SET ${sets.join(', ')} REMOVE taskToken`,
            ConditionExpression: condition,
            ExpressionAttributeNames: {
              '#pk': PK,
              '#open': OPEN_PK,
              '#openSk': OPEN_SK,
              ...(options.once ? {} : { '#state': 'state' }),
            },
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { applied: true, order: strip<OrderRecord>(out.Attributes ?? {}) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { applied: false, order: requireOrder(await getOrder(orderKey), orderKey) };
      }
    },

    async setExecution(orderKey, executionName, executionArn, now) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: ItemKeys.order(orderKey),
          UpdateExpression: 'SET executionName = :name, executionArn = :arn, updatedAt = :at',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: {
            ':name': executionName,
            ':arn': executionArn,
            ':at': now.toISOString(),
          },
        }),
      );
    },

    async beginReplay(orderKey, expectedReplays, executionName, reason, now, change = {}) {
      const at = now.toISOString();
      const order = await getOrder(orderKey);
      if (!order) return false;
      const names: Record<string, string> = { '#state': 'state', '#open': OPEN_PK, '#openSk': OPEN_SK };
      const values: Record<string, unknown> = {
        ':next': expectedReplays + 1,
        ':expected': expectedReplays,
        ':name': executionName,
        ':reason': reason,
        ':at': at,
        ':open': 'open',
        ':openPk': ItemKeys.openOrders,
        ':openSk': `${order.createdAt}#${orderKey}`,
      };
      const sets = [
        'replays = :next',
        'executionName = :name',
        'replayReason = :reason',
        'updatedAt = :at',
        '#state = :open',
        '#open = :openPk',
        '#openSk = :openSk',
      ];
      // The outcome goes with the attention: the new execution records its own.
      const removes = ['taskToken', 'executionArn', 'attention', 'outcome'];
      let condition = 'replays = :expected';
      if (change.fromStates?.length) {
        const keys = change.fromStates.map((state, i) => {
          values[`:from${i}`] = state;
          return `:from${i}`;
        });
        condition += ` AND #state IN (${keys.join(', ')})`;
      }
      if (change.event) {
        names['#event'] = 'event';
        values[':event'] = change.event;
        sets.push('#event = :event');
        if (change.event.buyerKey) {
          values[':buyer'] = change.event.buyerKey;
          sets.push('buyerKey = :buyer');
        }
      }
      if (change.confirmPayment) {
        values[':paid'] = 'paid';
        sets.push('payment = :paid', 'paidAt = if_not_exists(paidAt, :at)');
      }
      if (change.clearRefund) removes.push('refunded');
      if (change.action) {
        values[':action'] = [change.action];
        values[':none'] = [];
        sets.push('actions = list_append(if_not_exists(actions, :none), :action)');
      }
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return false;
      }
    },

    async closeAttention(orderKey, action, now) {
      const order = await getOrder(orderKey);
      if (!order?.attention) return false;
      // A parked order becomes closed; a fulfilled or failed one stays what it is.
      const state = order.state === 'needs_attention' ? 'closed' : order.state;
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.order(orderKey),
            UpdateExpression:
              'SET updatedAt = :at, #state = :state, outcome = :state, ' +
              'actions = list_append(if_not_exists(actions, :none), :action) REMOVE attention, #open, #openSk',
            // The attention read above, still unchanged: a replay in between must not be closed by mistake.
            ConditionExpression: 'attention.since = :since AND #state = :was',
            ExpressionAttributeNames: { '#state': 'state', '#open': OPEN_PK, '#openSk': OPEN_SK },
            ExpressionAttributeValues: {
              ':at': now.toISOString(),
              ':state': state,
              ':was': order.state,
              ':since': order.attention.since,
              ':action': [action],
              ':none': [],
            },
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return false;
      }
    },

    async recordAction(orderKey, action) {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: ItemKeys.order(orderKey),
          UpdateExpression: 'SET actions = list_append(if_not_exists(actions, :none), :action)',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':action': [action], ':none': [] },
        }),
      );
    },

    listOpen: () => listIndex<OrderRecord>(ItemKeys.openOrders, (item) => 'state' in item),

    listAttention: () => listIndex<OrderRecord>(ItemKeys.attention, (item) => 'state' in item),

    async findByPaymentRef(paymentRef) {
      const out = await doc.send(
        new QueryCommand({
          TableName,
          IndexName: TableSchema.paymentRefIndex.name,
          KeyConditionExpression: '#ref = :ref',
          ExpressionAttributeNames: { '#ref': TableSchema.paymentRefIndex.partitionKey },
          ExpressionAttributeValues: { ':ref': paymentRef },
          Limit: 1,
        }),
      );
      const pk = out.Items?.[0]?.[PK];
      return typeof pk === 'string' ? pk.slice(ORDER_PREFIX.length) : undefined;
    },

    async getOrder(orderKey) {
      const order = await getOrder(orderKey);
      if (!order) return undefined;
      const transfer = await getIntent(orderKey);
      return { ...toView(order), ...(transfer ? { transfer } : {}) };
    },

    async listOrders(filter?: { state?: OrderState }) {
      // A scan, not the open index: the operator must also see stubs (a payment event for an order not
      // seen yet), which are open but not in the index because nothing can run for them.
      const items = await scanAll({
        FilterExpression: filter?.state ? '#sk = :sk AND #state = :state' : '#sk = :sk',
        ExpressionAttributeNames: { '#sk': SK, ...(filter?.state ? { '#state': 'state' } : {}) },
        ExpressionAttributeValues: { ':sk': 'ORDER', ...(filter?.state ? { ':state': filter.state } : {}) },
      });
      const orders = items.map((item) => strip<OrderRecord>(item));
      return orders.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(toView);
    },

    getCustomer: (buyerKey) => getItem<BuyerCustomer>(ItemKeys.buyer(buyerKey)),

    async putCustomer(buyerKey, customer, now) {
      const item: BuyerCustomer = {
        buyerKey,
        customerUuid: customer.uuid,
        customerName: customer.name,
        createdAt: now.toISOString(),
      };
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { ...ItemKeys.buyer(buyerKey), kind: 'buyer', ...item },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
        return item;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await getItem<BuyerCustomer>(ItemKeys.buyer(buyerKey));
        if (!existing) throw new Error(`buyer ${buyerKey} disappeared during a conditional write`);
        return existing;
      }
    },

    async listCustomers() {
      const items = await scanAll({
        FilterExpression: '#sk = :sk',
        ExpressionAttributeNames: { '#sk': SK },
        ExpressionAttributeValues: { ':sk': 'CUSTOMER' },
      });
      return items.map((item) => strip<BuyerCustomer>(item));
    },

    getIntent,

    async createIntent(orderKey, plan, now) {
      const at = now.toISOString();
      const intent: TransferIntent = {
        orderKey,
        status: 'PENDING',
        amount: plan.amount,
        customerUuid: plan.customerUuid,
        customerName: plan.customerName,
        attempts: 0,
        createdAt: at,
        updatedAt: at,
      };
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...ItemKeys.transfer(orderKey),
              kind: 'transfer',
              [OPEN_PK]: ItemKeys.openTransfers,
              [OPEN_SK]: `${at}#${orderKey}`,
              ...intent,
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
        return { intent, created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const existing = await getIntent(orderKey);
        if (!existing) throw new Error(`transfer intent ${orderKey} disappeared during a conditional write`);
        return { intent: existing, created: false };
      }
    },

    async transition(orderKey, from, to, patch: TransferPatch, now) {
      const names: Record<string, string> = { '#status': 'status', '#open': OPEN_PK, '#openSk': OPEN_SK };
      const values: Record<string, unknown> = { ':to': to, ':at': now.toISOString() };
      const sets = ['#status = :to', 'updatedAt = :at'];
      const { incrementAttempts, ...fields } = patch;
      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
      if (incrementAttempts) {
        values[':one'] = 1;
        values[':zero'] = 0;
        sets.push('attempts = if_not_exists(attempts, :zero) + :one');
      }
      const removes: string[] = [];
      // A new attempt's snapshot replaces the old one; a missing customer balance must not linger from before.
      if (incrementAttempts && fields.customerBalanceBefore === undefined)
        removes.push('customerBalanceBefore');
      if (UnsettledTransferStatuses.includes(to)) {
        values[':openPk'] = ItemKeys.openTransfers;
        values[':openSk'] = `${now.toISOString()}#${orderKey}`;
        sets.push('#open = if_not_exists(#open, :openPk)', '#openSk = if_not_exists(#openSk, :openSk)');
      } else {
        removes.push('#open', '#openSk');
      }
      const fromKeys = from.map((status, index) => {
        values[`:from${index}`] = status;
        return `:from${index}`;
      });
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName,
            Key: ItemKeys.transfer(orderKey),
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: `#status IN (${fromKeys.join(', ')})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return strip<TransferIntent>(out.Attributes ?? {});
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return undefined;
      }
    },

    async cancelForRefund(orderKey, now) {
      const at = now.toISOString();
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: {
              ...ItemKeys.transfer(orderKey),
              kind: 'transfer',
              orderKey,
              status: 'CANCELLED' satisfies TransferIntentStatus,
              amount: 0,
              attempts: 0,
              reason: 'order refunded before any transfer',
              createdAt: at,
              updatedAt: at,
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        await store.transition(
          orderKey,
          StartableTransferStatuses,
          'CANCELLED',
          { reason: 'order refunded before the transfer was attempted' },
          now,
        );
      }
      const intent = await getIntent(orderKey);
      if (!intent) throw new Error(`transfer intent ${orderKey} disappeared during a conditional write`);
      return intent;
    },

    async reopenCancelled(orderKey) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: ItemKeys.transfer(orderKey),
            // Only an intent that never called Yay: anything else keeps its history.
            ConditionExpression:
              '#status = :cancelled AND (attribute_not_exists(attempts) OR attempts = :zero)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':cancelled': 'CANCELLED', ':zero': 0 },
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return false;
      }
    },

    listUnsettled: () => listIndex<TransferIntent>(ItemKeys.openTransfers, (item) => 'status' in item),

    async listUnresolvedFor(customerUuid) {
      const unsettled = await store.listUnsettled();
      return unsettled.filter(
        (intent) =>
          intent.customerUuid === customerUuid &&
          (intent.status === 'IN_FLIGHT' || intent.status === 'UNKNOWN'),
      );
    },

    async acquire(resource, holder, ttlSeconds, now) {
      const nowSeconds = Math.floor(now.getTime() / 1000);
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { ...ItemKeys.lease(resource), kind: 'lease', holder, [EXPIRES]: nowSeconds + ttlSeconds },
            // dynalite never expires items, and DynamoDB TTL deletes late: an expired lease counts as gone.
            ConditionExpression: 'attribute_not_exists(#pk) OR #expires <= :now OR holder = :holder',
            ExpressionAttributeNames: { '#pk': PK, '#expires': EXPIRES },
            ExpressionAttributeValues: { ':now': nowSeconds, ':holder': holder },
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return false;
      }
    },

    async release(resource, holder) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: ItemKeys.lease(resource),
            ConditionExpression: 'holder = :holder',
            ExpressionAttributeValues: { ':holder': holder },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
  return store;
}
