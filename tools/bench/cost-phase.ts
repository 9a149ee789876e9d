/**
 * What one phase of the cost benchmark (the orders, one schedule's run) was measured to use, and the phase the meters
 * write into now: `meter` is a live binding that `startPhase` replaces.
 */
interface Invocation {
  fn: string;
  ms: number;
  /** Starts a trace of its own (a webhook, an SES event, a schedule), rather than carrying its caller's. */
  root: boolean;
  /** Secrets it asked its cache for: what a cold environment would read from Secrets Manager. */
  secrets: number;
}

/** What one phase (the orders, one sweep, …) was measured to use. */
export class Meter {
  readonly invocations: Invocation[] = [];
  readonly peak = new Map<string, number>();
  transitions = 0;
  /** Step Functions' log records for the phase (level ALL, no execution data), modelled per history event. */
  sfnLogBytes = 0;
  customEvents = 0;
  customEventChunks = 0;
  archivedBytes = 0;
  outboundLogBytes = 0;
  sesMessages = 0;
  readonly secretReads = new Map<string, Set<string>>();
  secretCalls = 0;
  readonly logBytes = new Map<string, number>();
  emfBytes = 0;
  readonly metrics = new Set<string>();
  yayBytes = 0;
  readonly dynamo = {
    reportedRead: 0,
    reportedWrite: 0,
    indexWrite: 0,
    failedConditionWrite: 0,
    /** Table write units as computed from the items, beside dynalite's report (a check of the arithmetic). */
    computedTableWrite: 0,
    unexplained: 0,
    calls: 0,
  };
}

/** The phase the meters write into now. */
export let meter = new Meter();

/** From now on the meters write into a fresh Meter. */
export function startPhase(): void {
  meter = new Meter();
}
