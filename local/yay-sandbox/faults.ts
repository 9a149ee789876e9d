/** Which calls an interruption applies to: the create, the transfer, or any request at all. */
export type SandboxRoute = 'create' | 'transfer' | 'any';

/** A one-shot interruption, or `count` of them. */
export type InterruptSpec = SandboxRoute | { route: SandboxRoute; count: number };

/**
 * Faults the sandbox injects, settable at start and while running (`sandbox.setFaults`). Each call of
 * `setFaults` replaces the whole set, so `setFaults({})` clears every fault.
 */
export interface SandboxFaults {
  /** Delay before every answer, milliseconds. */
  latencyMs?: number;
  /** Share (0..1) of requests answered 500 before anything is applied. */
  errorRate?: number;
  /** Makes `errorRate` deterministic: the same seed gives the same sequence of failures. */
  errorSeed?: number;
  /** Above this many concurrent in-flight requests, answer 429. */
  maxConcurrent?: number;
  /** Apply the request (whatever its answer would be), then destroy the socket without answering. */
  dropNext?: InterruptSpec;
  /** Apply the change, send the status line, headers and half the body, then destroy the socket. */
  truncateNext?: InterruptSpec;
  /**
   * Apply the change, then answer 500 as if it had failed: a server that commits and then errors on the way
   * out (a crashed response serializer, a proxy timing out after the backend answered).
   */
  errorAfterApplyNext?: InterruptSpec;
  /**
   * For this many milliseconds from when the fault set is applied, a customer-balance read (`GET
   * /account/reseller/{uuid}`, and `GET /account/balance` with `X-Auth-For`) answers 503 and reads nothing; the
   * reseller's own balance and everything else still answer. A balance service that is down for a while.
   */
  balanceUnavailableForMs?: number;
  /**
   * Hold the request once it has fully arrived, before anything is applied, until `sandbox.release()`:
   * a gate a test opens when it has done what it must do while the call is at Yay (e.g. kill the caller).
   */
  holdNext?: InterruptSpec;
  /** Answer 403 to everything, as Yay does for a caller not on the IP allow-list. */
  forbidden?: boolean;
}

/** mulberry32: a tiny seeded PRNG, so a seeded error rate fails the same requests on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A countdown of one interruption kind. */
export class Interruption {
  private route: SandboxRoute | undefined;
  private remaining = 0;

  set(spec: InterruptSpec | undefined): void {
    if (spec === undefined) {
      this.route = undefined;
      this.remaining = 0;
    } else if (typeof spec === 'string') {
      this.route = spec;
      this.remaining = 1;
    } else {
      if (!Number.isSafeInteger(spec.count) || spec.count < 0) {
        throw new RangeError(`sandbox fault count must be a non-negative integer, got ${spec.count}`);
      }
      this.route = spec.route;
      this.remaining = spec.count;
    }
  }

  /** True (and counts down) when this request's route should be interrupted. */
  take(route: SandboxRoute | undefined): boolean {
    if (this.remaining === 0) return false;
    if (this.route !== 'any' && this.route !== route) return false;
    this.remaining -= 1;
    return true;
  }

  get pending(): number {
    return this.remaining;
  }
}

/** Validates a fault set so a typo in a test fails loudly, naming the field. */
export function validateFaults(faults: SandboxFaults): void {
  const { latencyMs, errorRate, maxConcurrent, balanceUnavailableForMs } = faults;
  if (latencyMs !== undefined && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new RangeError(`sandbox fault latencyMs must be a non-negative number, got ${latencyMs}`);
  }
  if (errorRate !== undefined && !(errorRate >= 0 && errorRate <= 1)) {
    throw new RangeError(`sandbox fault errorRate must be between 0 and 1, got ${errorRate}`);
  }
  if (maxConcurrent !== undefined && !(Number.isSafeInteger(maxConcurrent) && maxConcurrent >= 1)) {
    throw new RangeError(`sandbox fault maxConcurrent must be a positive integer, got ${maxConcurrent}`);
  }
  if (
    balanceUnavailableForMs !== undefined &&
    !(Number.isFinite(balanceUnavailableForMs) && balanceUnavailableForMs >= 0)
  ) {
    throw new RangeError(
      `sandbox fault balanceUnavailableForMs must be a non-negative number, got ${balanceUnavailableForMs}`,
    );
  }
}
