/**
 * The error names are the contract between the handlers and the state machine: a Lambda's error
 * name must equal the `ErrorEquals` of the Retry/Catch that handles it. Infra imports this same table.
 */
export const ErrorNames = {
  YayUnavailable: 'YayUnavailable',
  YayRateLimited: 'YayRateLimited',
  YayAuthFailed: 'YayAuthFailed',
  YayRejected: 'YayRejected',
  ResellerBalanceTooLow: 'ResellerBalanceTooLow',
  TransferOutcomeUnknown: 'TransferOutcomeUnknown',
  OrderInvalid: 'OrderInvalid',
  OrderIncomplete: 'OrderIncomplete',
  PaymentFailed: 'PaymentFailed',
  ConfigInvalid: 'ConfigInvalid',
  LeaseBusy: 'LeaseBusy',
  DependencyUnavailable: 'DependencyUnavailable',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/** Base class: `name` comes from {@link ErrorNames}, `cause` is kept. */
export abstract class ProvisioningError extends Error {
  abstract override readonly name: ErrorName;
}

/**
 * Yay could not be reached or answered 5xx. `mayHaveReachedYay` is true when the request may have
 * been processed (timeout after sending, connection reset mid-response, 5xx): the transfer protocol
 * then treats the outcome as unknown. False when the request certainly never left (DNS, refused).
 */
export class YayUnavailable extends ProvisioningError {
  override readonly name = ErrorNames.YayUnavailable;
  constructor(
    message: string,
    readonly mayHaveReachedYay: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class YayRateLimited extends ProvisioningError {
  override readonly name = ErrorNames.YayRateLimited;
}

export class YayAuthFailed extends ProvisioningError {
  override readonly name = ErrorNames.YayAuthFailed;
}

/** A definite refusal (4xx other than 401/403/429): the request was not applied. */
export class YayRejected extends ProvisioningError {
  override readonly name = ErrorNames.YayRejected;
  constructor(
    message: string,
    readonly statusCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class ResellerBalanceTooLow extends ProvisioningError {
  override readonly name = ErrorNames.ResellerBalanceTooLow;
}

export class TransferOutcomeUnknown extends ProvisioningError {
  override readonly name = ErrorNames.TransferOutcomeUnknown;
}

export class OrderInvalid extends ProvisioningError {
  override readonly name = ErrorNames.OrderInvalid;
}

/**
 * A genuine order lacks what Yay needs for a new customer (a name, an e-mail, an address): not a failure of
 * the order, which waits in `needs_attention` for a person to supply the fields (`ops complete`).
 * `fields` names them as `buyer.firstName`, `address.street_one`.
 */
export class OrderIncomplete extends ProvisioningError {
  override readonly name = ErrorNames.OrderIncomplete;
  constructor(
    message: string,
    readonly fields: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class PaymentFailed extends ProvisioningError {
  override readonly name = ErrorNames.PaymentFailed;
}

/** Missing or malformed configuration; the message names the variable or context key. */
export class ConfigInvalid extends ProvisioningError {
  override readonly name = ErrorNames.ConfigInvalid;
}

/**
 * An AWS dependency (Secrets Manager, say) throttled, timed out or failed on its side: transient, retried by the
 * state machine like any other. Only a missing, denied or malformed secret is {@link ConfigInvalid}.
 */
export class DependencyUnavailable extends ProvisioningError {
  override readonly name = ErrorNames.DependencyUnavailable;
}

/** Another transfer to the same customer holds the lease; retried by the state machine. */
export class LeaseBusy extends ProvisioningError {
  override readonly name = ErrorNames.LeaseBusy;
}
