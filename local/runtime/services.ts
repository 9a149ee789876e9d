/** The stand-ins that hold state: the state machine on its engine and the durable event bus. */
import { OUTBOUND_SOURCE } from '../../shared/domain/outbound-events';
import { LocalEventBus, localLogGroupFile, type PutEventsEntry } from '../aws/event-bus/bus';
import type { OutboxMessage } from '../aws/outbox';
import { sesSendEventDetail } from '../aws/ses';
import { LocalStepFunctions } from '../aws/step-functions/engine';
import type { LocalTemplate } from '../aws/template/types';
import type { LocalConfig } from '../config';
import type { Cleanups } from './cleanups';
import { LOCAL_BUS_NAME } from './handler-environment';
import { formatLogLine } from './log-line';
import { type LineSink, progressPrinter } from './progress';

/** The state machine of the template on aws-local-stepfunctions, its progress printed. */
export function startEngine(
  template: LocalTemplate,
  config: LocalConfig,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
): LocalStepFunctions {
  const workflow = new LocalStepFunctions({
    stateMachineName: template.stateMachineName,
    definition: template.definition,
    ...(template.stateMachine ? { stateMachine: template.stateMachine } : {}),
    invoke,
    dataDir: config.dataDir,
    maxWaitSeconds: config.maxWaitSeconds,
  });
  workflow.events.on('history', progressPrinter(config.logFormat, print));
  cleanups.push(() => workflow.shutdown());
  return workflow;
}

/** The template's bus rules, durable under the data dir; a delivery that gives up is printed. */
export function startBus(
  template: LocalTemplate,
  config: LocalConfig,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
): LocalEventBus {
  const bus = new LocalEventBus({
    busName: LOCAL_BUS_NAME,
    rules: template.rules,
    invoke,
    dataDir: config.dataDir,
    ...(template.archives ? { archives: template.archives } : {}),
    ...(template.eventBusDescription ? { busDescription: template.eventBusDescription } : {}),
    onDeliveryFailed: (fn, event, error) =>
      print(
        formatLogLine(config.logFormat, {
          level: 'ERROR',
          message: 'event delivery failed',
          fields: { function: fn, detailType: event['detail-type'], error: error.name },
          text: `delivery of "${event['detail-type']}" to ${fn} failed after 3 attempts: ${error.name}`,
        }),
      ),
  });
  cleanups.push(() => bus.close());
  return bus;
}

/** The "Email Sent" event SES publishes for a message of a configuration set with an EventBridge destination. */
export function emailSentEntry(message: OutboxMessage): PutEventsEntry {
  return {
    EventBusName: 'default',
    Source: 'aws.ses',
    DetailType: 'Email Sent',
    Detail: JSON.stringify(sesSendEventDetail(message)),
  };
}

/** The file the template's outbound-events log group is written to locally (see {@link localLogGroupFile}). */
export function outboundEventsFile(template: LocalTemplate, dataDir: string): string | undefined {
  for (const rule of template.rules) {
    const sources = (rule.pattern as { source?: unknown }).source;
    if (!Array.isArray(sources) || !sources.includes(OUTBOUND_SOURCE)) continue;
    const [target] = rule.logGroupTargets ?? [];
    if (target) return localLogGroupFile(dataDir, target.logGroupName);
  }
  return undefined;
}
