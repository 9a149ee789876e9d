/** EventBridge archive replays on the local bus: StartReplay's checks, and the replay running to its end. */
import { AwsServiceError, requireMember } from '../aws-json';
import type { ArchiveState, ReplayRecord } from './archive';
import type { BusEvent, LocalEventBus } from './bus';

/**
 * StartReplay: the archive's events of [EventStartTime, EventEndTime) sent again onto the archive's own bus (the
 * only destination EventBridge allows), to the rules of FilterArns or to all of the bus's, each with `replay-name`.
 * Answers STARTING; the replay runs at once, RUNNING until every event is on the bus (durably, as PutEvents), then
 * COMPLETED. Deliveries happen as for any event (`idle()` waits for them); downstream, dispatch collapses an order's
 * events onto one execution, so a replay of a wide window is safe.
 */
export function startReplay(bus: LocalEventBus, input: Record<string, unknown>): ReplayRecord {
  const name = requireMember(input, 'ReplayName');
  if (bus.archives.replays.has(name))
    throw new AwsServiceError('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
  const source = requireMember(input, 'EventSourceArn');
  const archive = [...bus.archives.archives.values()].find((a) => a.arn === source);
  if (!archive) throw new AwsServiceError('ResourceNotFoundException', `Archive ${source} does not exist.`);
  const destination = (input.Destination ?? {}) as { Arn?: unknown; FilterArns?: unknown };
  if (destination.Arn !== bus.busArn(archive.bus)) {
    throw new AwsServiceError(
      'ValidationException',
      'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.',
    );
  }
  const filterArns = Array.isArray(destination.FilterArns) ? destination.FilterArns.map(String) : undefined;
  const rules = filterArns?.map((arn) => {
    const rule = bus.listedRules().find((r) => r.bus === archive.bus && bus.ruleArn(r) === arn);
    if (!rule?.id) throw new AwsServiceError('ResourceNotFoundException', `Rule ${arn} does not exist.`);
    return rule.id;
  });
  const start = Number(input.EventStartTime) * 1000;
  const end = Number(input.EventEndTime) * 1000;
  if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
    throw new AwsServiceError(
      'ValidationException',
      'Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.',
    );
  }
  const replay: ReplayRecord = {
    name,
    ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
    archiveName: archive.name,
    state: 'STARTING',
    destination: { Arn: String(destination.Arn), ...(filterArns ? { FilterArns: filterArns } : {}) },
    eventStartTime: start,
    eventEndTime: end,
    replayStartTime: Date.now(),
  };
  bus.archives.saveReplay(replay);
  bus.track(runReplay(bus, replay, archive, rules));
  return replay;
}

/** Sends the replay's window of the archive back onto the bus, ten events at a time, and records how it ended. */
async function runReplay(
  bus: LocalEventBus,
  replay: ReplayRecord,
  archive: ArchiveState,
  rules?: readonly string[],
): Promise<void> {
  const events = bus.archives.eventsBetween(archive, replay.eventStartTime, replay.eventEndTime);
  bus.archives.saveReplay({ ...replay, state: 'RUNNING' });
  let last: number | undefined;
  try {
    // Ten at a time, as PutEvents takes them: one fsync per batch.
    for (let at = 0; at < events.length; at += 10) {
      if (bus.archives.replays.get(replay.name)?.state === 'CANCELLING') break;
      const batch = events.slice(at, at + 10);
      await bus.send(
        batch.map((event) => ({
          bus: archive.bus,
          event: { ...event, 'replay-name': replay.name },
          ...(rules ? { rules } : {}),
        })),
      );
      last = Date.parse((batch.at(-1) as BusEvent).time);
    }
    const cancelled = bus.archives.replays.get(replay.name)?.state === 'CANCELLING';
    bus.archives.saveReplay({
      ...replay,
      state: cancelled ? 'CANCELLED' : 'COMPLETED',
      replayEndTime: Date.now(),
      ...(last !== undefined ? { eventLastReplayedTime: last } : {}),
    });
  } catch (error) {
    bus.archives.saveReplay({
      ...replay,
      state: 'FAILED',
      stateReason: error instanceof Error ? error.message : String(error),
      replayEndTime: Date.now(),
    });
  }
}
