import { randomUUID } from 'node:crypto';
import { AwsServiceError, awsJsonHandler } from './aws-json';
import { matchesPattern } from './event-pattern';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalRule } from './template';

/** An event as a rule target receives it (the EventBridge envelope). */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export interface LocalEventBusOptions {
  /** The provisioning bus's name as the handlers are told it (`EVENT_BUS_NAME`). */
  readonly busName: string;
  readonly rules: readonly LocalRule[];
  /** Invokes a target function; the bus does not wait for it (asynchronous invocation). */
  readonly invoke: (functionName: string, event: unknown) => Promise<unknown>;
  /** Told about a delivery that failed after Lambda's two automatic retries. */
  readonly onDeliveryFailed?: (functionName: string, event: BusEvent, error: Error) => void;
}

function pick(event: unknown, path: string): unknown {
  // Targets' InputPath is a plain JSONPath like `$.detail`.
  const keys = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
  let value: unknown = event;
  for (const key of keys)
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/**
 * EventBridge PutEvents for local mode: each entry becomes an envelope, is matched against the template's
 * rules for its bus, and every matching target is invoked asynchronously, as Lambda's async invocation
 * does it: the caller gets its event id at once, a failing target is retried twice, then reported.
 */
export class LocalEventBus {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: LocalEventBusOptions) {}

  private busOf(name: unknown): 'default' | 'provisioning' | undefined {
    if (
      name === undefined ||
      name === 'default' ||
      (typeof name === 'string' && name.endsWith(':event-bus/default'))
    ) {
      return 'default';
    }
    const bus = this.options.busName;
    if (name === bus || (typeof name === 'string' && name.endsWith(`:event-bus/${bus}`)))
      return 'provisioning';
    return undefined;
  }

  /** Publishes one envelope to the rules of `bus`; resolves once the targets are invoked (not finished). */
  publish(bus: 'default' | 'provisioning', event: BusEvent): void {
    for (const rule of this.options.rules) {
      if (rule.bus !== bus || !matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        const input =
          target.input !== undefined
            ? target.input
            : target.inputPath
              ? pick(event, target.inputPath)
              : event;
        const delivery = this.deliver(target.functionName, input, event);
        this.inFlight.add(delivery);
        void delivery.finally(() => this.inFlight.delete(delivery));
      }
    }
  }

  private async deliver(functionName: string, input: unknown, event: BusEvent): Promise<void> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await this.options.invoke(functionName, input);
        return;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
      }
    }
    this.options.onDeliveryFailed?.(functionName, event, lastError as Error);
  }

  /** Resolves once every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  serviceHandler() {
    return awsJsonHandler({
      targetPrefix: 'AWSEvents',
      jsonVersion: '1.1',
      operations: {
        PutEvents: (input) => {
          const entries = input.Entries;
          if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
            throw new AwsServiceError('ValidationException', 'Entries must hold 1 to 10 events');
          }
          const results = entries.map((raw: Record<string, unknown>) => {
            const bus = this.busOf(raw.EventBusName);
            if (!bus)
              return {
                ErrorCode: 'ResourceNotFoundException',
                ErrorMessage: `Event bus ${String(raw.EventBusName)} does not exist.`,
              };
            if (
              typeof raw.Source !== 'string' ||
              typeof raw.DetailType !== 'string' ||
              typeof raw.Detail !== 'string'
            ) {
              return {
                ErrorCode: 'MalformedDetail',
                ErrorMessage: 'Source, DetailType and Detail are required',
              };
            }
            let detail: unknown;
            try {
              detail = JSON.parse(raw.Detail);
            } catch {
              return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
            }
            const id = randomUUID();
            const time = raw.Time === undefined ? new Date() : new Date(Number(raw.Time) * 1000);
            this.publish(bus, {
              version: '0',
              id,
              'detail-type': raw.DetailType,
              source: raw.Source,
              account: LOCAL_ACCOUNT,
              time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
              region: LOCAL_REGION,
              resources: Array.isArray(raw.Resources) ? (raw.Resources as string[]) : [],
              detail,
            });
            return { EventId: id };
          });
          return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
        },
      },
    });
  }
}
