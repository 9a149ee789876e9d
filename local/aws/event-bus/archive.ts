/**
 * EventBridge archives and replays for local mode, as the templates declare them (`AWS::Events::Archive`).
 *
 * An archive keeps every event of its bus that matches its pattern, in `<dataDir>/archives/<name>.jsonl`, one event
 * per line, for its retention period (events past it are dropped at start). A replay sends the archived events of a
 * time window back onto the bus, each with `replay-name` added as EventBridge adds it; replayed events are not
 * archived again. Replays are recorded in `<dataDir>/replays.jsonl` (the last line of a name wins); one a stopped
 * local mode left unfinished reads FAILED, as nothing sends its events any more.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalArchive } from '../template/types';
import type { BusEvent } from './bus';
import { matchesPattern } from './pattern';

type BusName = 'default' | 'provisioning';

/** One replay, as DescribeReplay reports it (times in epoch milliseconds). */
export interface ReplayRecord {
  name: string;
  description?: string;
  archiveName: string;
  state: 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  stateReason?: string;
  /** The bus ARN the events go to, and the rules they go to (all of the bus's when none). */
  destination: { Arn: string; FilterArns?: string[] };
  eventStartTime: number;
  eventEndTime: number;
  replayStartTime: number;
  replayEndTime?: number;
  eventLastReplayedTime?: number;
}

/** An archive with what it holds now. */
export interface ArchiveState extends LocalArchive {
  readonly arn: string;
  eventCount: number;
  sizeBytes: number;
  readonly file: string;
}

const DAY_MS = 24 * 3600 * 1000;

export function archiveArn(name: string): string {
  return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:archive/${name}`;
}

export function replayArn(name: string): string {
  return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:replay/${name}`;
}

export class LocalBusArchives {
  readonly archives = new Map<string, ArchiveState>();
  readonly replays = new Map<string, ReplayRecord>();
  private readonly replaysFile: string;

  constructor(dataDir: string, archives: readonly LocalArchive[], now = Date.now()) {
    const folder = join(dataDir, 'archives');
    mkdirSync(folder, { recursive: true });
    for (const archive of archives) {
      const state: ArchiveState = {
        ...archive,
        arn: archiveArn(archive.name),
        eventCount: 0,
        sizeBytes: 0,
        file: join(folder, `${archive.name}.jsonl`),
      };
      this.expire(state, now);
      this.archives.set(archive.name, state);
    }
    this.replaysFile = join(dataDir, 'replays.jsonl');
    this.loadReplays();
  }

  /** Drops the events past the archive's retention (rewriting its file), and counts what is left. */
  private expire(archive: ArchiveState, now: number): void {
    if (!existsSync(archive.file)) return;
    const lines = readFileSync(archive.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const keep = lines.filter((line) => {
      if (!archive.retentionDays) return true;
      try {
        return now - Date.parse((JSON.parse(line) as BusEvent).time) <= archive.retentionDays * DAY_MS;
      } catch {
        // Cut short by a kill while it was written: never acknowledged as archived.
        return false;
      }
    });
    if (keep.length !== lines.length) {
      writeFileSync(`${archive.file}.tmp`, keep.map((line) => `${line}\n`).join(''));
      renameSync(`${archive.file}.tmp`, archive.file);
    }
    archive.eventCount = keep.length;
    archive.sizeBytes = keep.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
  }

  private loadReplays(): void {
    if (!existsSync(this.replaysFile)) return;
    for (const line of readFileSync(this.replaysFile, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const replay = JSON.parse(line) as ReplayRecord;
        this.replays.set(replay.name, replay);
      } catch {
        // Cut short by a kill.
      }
    }
    for (const replay of this.replays.values()) {
      if (replay.state === 'STARTING' || replay.state === 'RUNNING' || replay.state === 'CANCELLING') {
        this.saveReplay({
          ...replay,
          state: 'FAILED',
          stateReason: 'local mode stopped during the replay',
          replayEndTime: Date.now(),
        });
      }
    }
  }

  saveReplay(replay: ReplayRecord): void {
    this.replays.set(replay.name, replay);
    appendFileSync(this.replaysFile, `${JSON.stringify(replay)}\n`);
  }

  /** Keeps `event` in every archive of `bus` whose pattern it matches (a replayed event in none). */
  record(bus: BusName, event: BusEvent): void {
    if (event['replay-name'] !== undefined) return;
    for (const archive of this.archives.values()) {
      if (archive.bus !== bus || (archive.pattern && !matchesPattern(archive.pattern, event))) continue;
      const line = JSON.stringify(event);
      appendFileSync(archive.file, `${line}\n`);
      archive.eventCount += 1;
      archive.sizeBytes += Buffer.byteLength(line);
    }
  }

  /** The archived events whose time is in [start, end), oldest first. */
  eventsBetween(archive: ArchiveState, start: number, end: number): BusEvent[] {
    if (!existsSync(archive.file)) return [];
    return readFileSync(archive.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as BusEvent)
      .filter((event) => {
        const time = Date.parse(event.time);
        return time >= start && time < end;
      })
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }
}
