/** Something the operator must act on (unknown order, unreachable endpoint, stack without an output): exit code 1. */
export class OpsError extends Error {}
