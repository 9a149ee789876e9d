/** The template's schedules on timers, as EventBridge Scheduler runs them. */
import { randomUUID } from 'node:crypto';
import { parseSchedule } from '../aws/schedules';
import { LOCAL_REGION, type LocalTemplate } from '../aws/template/types';
import type { Cleanups } from './cleanups';
import type { LineSink } from './progress';

function scheduledEvent(id: string): unknown {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:000000000000:rule/${id}`],
    detail: {},
  };
}

/** EventBridge Scheduler fills its context attributes into the target input; so does local mode. */
function schedulerInput(input: unknown): unknown {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return JSON.parse(
    JSON.stringify(input)
      .replaceAll('<aws.scheduler.scheduled-time>', now)
      .replaceAll('<aws.scheduler.execution-id>', randomUUID())
      .replaceAll('<aws.scheduler.attempt-number>', '0'),
  );
}

/** The template's schedules, run as EventBridge Scheduler runs them: the same handler, the same input. */
export interface LocalSchedules {
  /**
   * Runs a schedule's target now, as its timer would, with `overrides` on top of the schedule's input. A run
   * while the previous run of the same schedule still runs is skipped (that run's promise is returned).
   */
  run(functionName: string, overrides?: Record<string, unknown>): Promise<unknown>;
  /** Starts every schedule's timer: first at its expression's next time, then at its interval. */
  startTimers(): void;
}

export function localSchedules(
  template: LocalTemplate,
  invoke: (name: string, payload: unknown) => Promise<unknown>,
  print: LineSink,
  cleanups: Cleanups,
): LocalSchedules {
  const running = new Map<string, Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];
  const run = (functionName: string, overrides: Record<string, unknown> = {}): Promise<unknown> => {
    const schedule = template.schedules.find((s) => s.functionName === functionName);
    if (!schedule) return Promise.reject(new Error(`no schedule targets ${functionName}`));
    const current = running.get(functionName);
    if (current) return current;
    const input = schedule.input === undefined ? scheduledEvent(schedule.id) : schedulerInput(schedule.input);
    const started = invoke(functionName, { ...(input as object), ...overrides }).finally(() =>
      running.delete(functionName),
    );
    running.set(functionName, started);
    return started;
  };
  const tick = (functionName: string) => {
    run(functionName).catch((error: unknown) =>
      print(
        `${functionName} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      ),
    );
  };
  cleanups.push(async () => {
    for (const timer of timers) clearTimeout(timer);
    await Promise.allSettled([...running.values()]);
  });
  return {
    run,
    startTimers() {
      for (const schedule of template.schedules) {
        const parsed = parseSchedule(schedule.expression);
        const first = setTimeout(() => {
          tick(schedule.functionName);
          timers.push(setInterval(() => tick(schedule.functionName), parsed.intervalMs));
        }, parsed.firstDelayMs(new Date()));
        timers.push(first);
      }
    },
  };
}
