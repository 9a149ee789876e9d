/**
 * EventBridge schedule expressions as local timers: `rate(n unit)` is an interval; `cron(min hour …)`
 * with a fixed minute and hour runs daily at that UTC time (the daily reconciliation's shape); any
 * other cron runs every 24 h from the start, which is stated in the start banner rather than guessed at.
 */
export interface ParsedSchedule {
  /** Milliseconds until the first run after `now` (0 = right away). */
  firstDelayMs(now: Date): number;
  readonly intervalMs: number;
  readonly description: string;
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Parses a schedule expression; throws naming it when it is neither `rate(…)` nor `cron(…)`. */
export function parseSchedule(expression: string): ParsedSchedule {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const unit = UNITS[(rate[2] as string).replace(/s$/, '')] as number;
    const intervalMs = Number(rate[1]) * unit;
    return { intervalMs, firstDelayMs: () => intervalMs, description: `every ${rate[1]} ${rate[2]}` };
  }
  const cron = /^cron\((\S+)\s+(\S+)\s+.*\)$/.exec(expression.trim());
  if (cron) {
    const minute = Number(cron[1]);
    const hour = Number(cron[2]);
    const day = UNITS.day as number;
    if (Number.isInteger(minute) && Number.isInteger(hour)) {
      return {
        intervalMs: day,
        firstDelayMs: (now) => {
          const next = new Date(now);
          next.setUTCHours(hour, minute, 0, 0);
          if (next.getTime() <= now.getTime()) next.setTime(next.getTime() + day);
          return next.getTime() - now.getTime();
        },
        description: `daily at ${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')} UTC`,
      };
    }
    return {
      intervalMs: day,
      firstDelayMs: () => day,
      description: 'every 24 hours (cron approximated locally)',
    };
  }
  throw new Error(`schedule expression "${expression}" is neither rate(…) nor cron(…)`);
}
