/**
 * Local mode's own lines (not the handlers' logs): for a person, or one JSON object a line with
 * LOCAL_LOG_FORMAT=json (`npm start -- --json`), so a log shipper reads them as it reads the handlers'.
 */

/** How local mode prints its lines: `LocalConfig.logFormat`. */
export type LogFormat = 'human' | 'json';

/** One line of local mode's own. */
export interface LogLine {
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  readonly message: string;
  /** The JSON line's fields after `level` and `message`; a person reads them as `message: key value, …`. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** What a person reads instead, when the fields listed after the message would not say it well. */
  readonly text?: string;
}

/** The line as `format` prints it. */
export function formatLogLine(format: LogFormat, line: LogLine): string {
  if (format === 'json') return JSON.stringify({ level: line.level, message: line.message, ...line.fields });
  if (line.text !== undefined) return line.text;
  const fields = Object.entries(line.fields ?? {}).map(([key, value]) => `${key} ${String(value)}`);
  return fields.length === 0 ? line.message : `${line.message}: ${fields.join(', ')}`;
}
