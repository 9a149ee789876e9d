/**
 * Picking up after a killed process: the table made consistent and its dead leases released, what its SES accepted
 * announced, the orders it left mid-way restarted and the e-mails it left unsent retried.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoStore, createTable, type DynamoStore } from '../../shared/store';
import { createNotificationStores, type NotificationStores } from '../../shared/store/dynamo-store';
import type { RetryReport } from '../../shared/workflow/notify';
import type { SweepReport } from '../../shared/workflow/sweep';
import { repairLocalIndexes } from '../aws/dynamodb/index-repair';
import type { LocalEventBus } from '../aws/event-bus/bus';
import { listOutbox } from '../aws/outbox';
import { LOCAL_REGION, type LocalTemplate } from '../aws/template/types';
import { LOCAL_AWS_CREDENTIALS } from '../runtime-info';
import type { Cleanups } from './cleanups';
import { LOCAL_TABLE_NAME } from './handler-environment';
import type { LineSink } from './progress';
import type { LocalSchedules } from './schedule-timers';
import { emailSentEntry } from './services';

/** The table, created if new, with the leases of a killed process released; the stores local mode reads. */
export async function openTable(
  dynamodbUrl: string,
  cleanups: Cleanups,
): Promise<{ store: DynamoStore; notifications: NotificationStores }> {
  const client = new DynamoDBClient({
    endpoint: dynamodbUrl,
    region: LOCAL_REGION,
    credentials: LOCAL_AWS_CREDENTIALS,
  });
  cleanups.push(() => client.destroy());
  await createTable(client, LOCAL_TABLE_NAME);
  // A kill can land between dynalite's index and item writes: make the indexes agree before anything reads them.
  await repairLocalIndexes(client, LOCAL_TABLE_NAME);
  await releaseDeadLeases(client);
  return {
    store: createDynamoStore({ tableName: LOCAL_TABLE_NAME, client }),
    notifications: createNotificationStores({ tableName: LOCAL_TABLE_NAME, client }),
  };
}

/**
 * Per-customer transfer leases are held only by running invocations, and every invocation of a previous
 * process died with it. On AWS a dead holder's lease lapses after its TTL; here it is certain the holder
 * is gone, so its leases are released at start instead of blocking that customer's transfers for the TTL.
 */
async function releaseDeadLeases(client: DynamoDBClient): Promise<void> {
  const leases = createDynamoStore({ tableName: LOCAL_TABLE_NAME, client });
  for (const lease of await leases.listHeld()) await leases.release(lease.resource, lease.holder);
}

/**
 * After a kill: an e-mail still `SENDING` whose message is in the outbox (its attempt tag matches) was accepted by
 * the SES of the killed process, which died before it announced it. Announced now, so the marker settles SENT and
 * no retry sends it again.
 */
export async function announceOutbox(
  notifications: NotificationStores,
  outboxDir: string,
  bus: LocalEventBus,
): Promise<void> {
  const sending = (await notifications.emails.listUnsent()).filter((record) => record.status === 'SENDING');
  if (sending.length === 0) return;
  const attempts = new Set(sending.map((record) => record.attemptId));
  const accepted = listOutbox(outboxDir).filter((message) => attempts.has(message.tags.attempt ?? ''));
  if (accepted.length > 0) await bus.accept(accepted.map(emailSentEntry));
  await bus.idle();
}

/**
 * The sweep at start, through its handler with `minAgeSeconds: 0` for this run only: the minimum age keeps
 * the scheduled sweep from racing a dispatch still in flight, and at start nothing of this process is in
 * flight (the bus's redeliveries have finished) while everything of a killed one is gone. So orders a
 * previous process left mid-way are restarted now instead of a quarter of an hour later.
 */
export async function startupSweep(schedules: LocalSchedules, print: LineSink): Promise<void> {
  try {
    const report = (await schedules.run('sweep', { minAgeSeconds: 0 })) as SweepReport;
    const resumed = report.restarted.length + report.replayed.length + report.resumed.length;
    if (resumed > 0 || report.expired.length > 0) {
      print(
        `recovery sweep: ${report.restarted.length} restarted, ${report.replayed.length} replayed, ` +
          `${report.resumed.length} resumed, ${report.expired.length} expired`,
      );
    }
  } catch (error) {
    print(`recovery sweep failed: ${error instanceof Error ? error.name : 'error'}`);
  }
}

/**
 * The e-mail retry at start, with `minAgeSeconds: 0` for this run: every attempt of a killed process is dead, and
 * what its SES accepted was announced just before. Nothing when e-mail is off (no such schedule).
 */
export async function startupEmailRetry(
  template: LocalTemplate,
  schedules: LocalSchedules,
  print: LineSink,
): Promise<void> {
  if (!template.schedules.some((schedule) => schedule.functionName === 'notify')) return;
  try {
    const report = (await schedules.run('notify', { minAgeSeconds: 0 })) as RetryReport;
    const sent = report.retried.filter((outcome) => outcome.result === 'sent').length;
    if (report.retried.length > 0) print(`e-mail retry: ${sent} of ${report.retried.length} sent`);
  } catch (error) {
    print(`e-mail retry failed: ${error instanceof Error ? error.name : 'error'}`);
  }
}
