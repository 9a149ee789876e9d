/**
 * Metric names used by handlers, alarms and the dashboard: one table so infra and code agree. A module of its own,
 * with no imports and no side effects, so infra and use cases can name a metric without building the Powertools
 * logger, metrics and tracer that shared/observability.ts creates at import.
 */
export const MetricNames = {
  OrdersReceived: 'OrdersReceived',
  CustomersCreated: 'CustomersCreated',
  CreditMovedMillis: 'CreditMovedMillis',
  TransfersNeedingReview: 'TransfersNeedingReview',
  ResellerBalanceMillis: 'ResellerBalanceMillis',
  CreditOwedMillis: 'CreditOwedMillis',
  WebhooksRejected: 'WebhooksRejected',
  RefundAfterCredit: 'RefundAfterCredit',
  /** An order newly waiting for a person (needs_attention or failed): the attention alarm's metric. */
  OrdersNeedingAttention: 'OrdersNeedingAttention',
  /** A payment confirmed after its order expired, credited by a new execution with nobody involved. */
  LatePaymentsCredited: 'LatePaymentsCredited',
  /** A refund no recorded order matches (by order key or payment id). */
  RefundsUnmatched: 'RefundsUnmatched',
  ReconciliationDrift: 'ReconciliationDrift',
  /** A buyer e-mail SES accepted (welcome or receipt). */
  EmailsSent: 'EmailsSent',
  /** A buyer e-mail attempt that failed (SES refused or could not be reached, or SES reported it not rendered): alarmed. */
  EmailsFailed: 'EmailsFailed',
} as const;
