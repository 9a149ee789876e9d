import { createHash } from 'node:crypto';
import * as z from 'zod';
import { formatCredit } from './credit';
import type { AttentionReason } from './order-state';

/**
 * The events this system publishes on the provisioning bus for the reseller's other systems (a CRM, a ledger, a
 * chat channel): facts about an order, past tense. Any consumer subscribes with a rule on `source` and
 * `detail-type`. Every event carries `detail.version` (the schema version, bumped only for a breaking change),
 * a stable `detail.eventId` (the same fact published twice has the same id: drop duplicates by it), the order
 * key, the buyer key and the Yay customer where known, and amounts as strings with three decimals. Never a
 * secret, a password or a task token.
 */
export const OUTBOUND_SOURCE = 'yay.provisioning.outcomes';
export const OUTBOUND_VERSION = '1';

export const OutboundDetailTypes = {
  customerCreated: 'Customer Created',
  creditTransferred: 'Credit Transferred',
  orderFulfilled: 'Order Fulfilled',
  orderNeedsAttention: 'Order Needs Attention',
  refundAfterCredit: 'Refund After Credit',
} as const;
export type OutboundDetailType = (typeof OutboundDetailTypes)[keyof typeof OutboundDetailTypes];

const Amount = z.string().regex(/^-?\d+\.\d{3}$/, 'an amount with three decimals');

/** The fields every outbound event's detail carries. */
const Common = z.object({
  version: z.literal(OUTBOUND_VERSION),
  eventId: z.string().min(1),
  orderKey: z.string().min(1),
  buyerKey: z.string().min(1).optional(),
  customerName: z.string().min(1).optional(),
  customerUuid: z.string().min(1).optional(),
  /** ISO-8601 time the fact became true. */
  occurredAt: z.string().min(1),
});

export const CustomerCreatedSchema = Common.extend({ customerName: z.string(), customerUuid: z.string() });
export const CreditTransferredSchema = Common.extend({
  amount: Amount,
  currency: z.literal('GBP'),
  /** The customer's balance after the transfer, when it could be read before it. */
  balanceAfter: Amount.optional(),
  /** True for the order that created the customer (its welcome says it all; no receipt). */
  firstOrder: z.boolean(),
});
export const OrderFulfilledSchema = Common.extend({ amount: Amount.optional() });
export const OrderNeedsAttentionSchema = Common.extend({
  reason: z.string().min(1),
  message: z.string(),
  /** The one command that resolves it. */
  action: z.string(),
});
export const RefundAfterCreditSchema = Common.extend({ amount: Amount, transferStatus: z.string() });

export type CustomerCreated = z.infer<typeof CustomerCreatedSchema>;
export type CreditTransferred = z.infer<typeof CreditTransferredSchema>;
export type OrderFulfilled = z.infer<typeof OrderFulfilledSchema>;
export type OrderNeedsAttention = z.infer<typeof OrderNeedsAttentionSchema>;
export type RefundAfterCredit = z.infer<typeof RefundAfterCreditSchema>;

export const OutboundSchemas = {
  [OutboundDetailTypes.customerCreated]: CustomerCreatedSchema,
  [OutboundDetailTypes.creditTransferred]: CreditTransferredSchema,
  [OutboundDetailTypes.orderFulfilled]: OrderFulfilledSchema,
  [OutboundDetailTypes.orderNeedsAttention]: OrderNeedsAttentionSchema,
  [OutboundDetailTypes.refundAfterCredit]: RefundAfterCreditSchema,
} as const;

/** One event to publish: its detail-type and detail. */
export type OutboundEvent =
  | { detailType: typeof OutboundDetailTypes.customerCreated; detail: CustomerCreated }
  | { detailType: typeof OutboundDetailTypes.creditTransferred; detail: CreditTransferred }
  | { detailType: typeof OutboundDetailTypes.orderFulfilled; detail: OrderFulfilled }
  | { detailType: typeof OutboundDetailTypes.orderNeedsAttention; detail: OrderNeedsAttention }
  | { detailType: typeof OutboundDetailTypes.refundAfterCredit; detail: RefundAfterCredit };

/**
 * A stable id for one fact: the same detail-type and the same identifying parts give the same id on every
 * retry, replay and redelivery (32 hex characters of SHA-256).
 */
export function outboundEventId(detailType: OutboundDetailType, ...parts: string[]): string {
  return createHash('sha256')
    .update([detailType, ...parts].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** Thousandths as the events carry them: "10.000". */
export function amountText(millis: number): string {
  return millis < 0 ? `-${formatCredit(-millis)}` : formatCredit(millis);
}

/** Keys every event shares, from what a step knows. */
export interface OrderFacts {
  orderKey: string;
  buyerKey?: string | undefined;
  customerName?: string | undefined;
  customerUuid?: string | undefined;
}

function common(facts: OrderFacts, eventId: string, at: Date) {
  return {
    version: OUTBOUND_VERSION,
    eventId,
    orderKey: facts.orderKey,
    ...(facts.buyerKey ? { buyerKey: facts.buyerKey } : {}),
    ...(facts.customerName ? { customerName: facts.customerName } : {}),
    ...(facts.customerUuid ? { customerUuid: facts.customerUuid } : {}),
    occurredAt: at.toISOString(),
  } as const;
}

/** The constructors each step uses, so the id and shape of a fact are decided in one place. */
export const Outbound = {
  customerCreated(
    facts: OrderFacts & { customerName: string; customerUuid: string },
    at: Date,
  ): OutboundEvent {
    const type = OutboundDetailTypes.customerCreated;
    return {
      detailType: type,
      detail: {
        ...common(facts, outboundEventId(type, facts.customerUuid), at),
        customerName: facts.customerName,
        customerUuid: facts.customerUuid,
      },
    };
  },
  creditTransferred(
    facts: OrderFacts,
    transfer: { amount: number; balanceAfter?: number | undefined; firstOrder: boolean },
    at: Date,
  ): OutboundEvent {
    const type = OutboundDetailTypes.creditTransferred;
    return {
      detailType: type,
      detail: {
        ...common(facts, outboundEventId(type, facts.orderKey), at),
        amount: amountText(transfer.amount),
        currency: 'GBP',
        ...(transfer.balanceAfter === undefined ? {} : { balanceAfter: amountText(transfer.balanceAfter) }),
        firstOrder: transfer.firstOrder,
      },
    };
  },
  orderFulfilled(facts: OrderFacts, amount: number | undefined, at: Date): OutboundEvent {
    const type = OutboundDetailTypes.orderFulfilled;
    return {
      detailType: type,
      detail: {
        ...common(facts, outboundEventId(type, facts.orderKey), at),
        ...(amount === undefined ? {} : { amount: amountText(amount) }),
      },
    };
  },
  /**
   * `occurrence` tells one time an order waits for a person from another (the execution that parked it, or when a
   * store event flagged it): the same occurrence, retried, has the same id.
   */
  orderNeedsAttention(
    facts: OrderFacts,
    attention: { reason: AttentionReason; message: string; action: string },
    occurrence: string,
    at: Date,
  ): OutboundEvent {
    const type = OutboundDetailTypes.orderNeedsAttention;
    return {
      detailType: type,
      detail: {
        ...common(facts, outboundEventId(type, facts.orderKey, attention.reason, occurrence), at),
        reason: attention.reason,
        message: attention.message,
        action: attention.action,
      },
    };
  },
  refundAfterCredit(
    facts: OrderFacts,
    transfer: { amount: number; status: string },
    at: Date,
  ): OutboundEvent {
    const type = OutboundDetailTypes.refundAfterCredit;
    return {
      detailType: type,
      detail: {
        ...common(facts, outboundEventId(type, facts.orderKey), at),
        amount: amountText(transfer.amount),
        transferStatus: transfer.status,
      },
    };
  },
};
