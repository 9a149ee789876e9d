import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../../local/runtime/log-line';

describe('formatLogLine', () => {
  const line = {
    level: 'WARN',
    message: 'access denied',
    fields: { function: 'dispatch', action: 'states:StartExecution' },
  } as const;

  it('prints one JSON object: level, message, then the fields', () => {
    expect(formatLogLine('json', line)).toBe(
      '{"level":"WARN","message":"access denied","function":"dispatch","action":"states:StartExecution"}',
    );
  });

  it('prints the message and its fields for a person, or the text it is given instead', () => {
    expect(formatLogLine('human', line)).toBe(
      'access denied: function dispatch, action states:StartExecution',
    );
    expect(formatLogLine('human', { ...line, text: 'dispatch may not start executions' })).toBe(
      'dispatch may not start executions',
    );
    expect(formatLogLine('human', { level: 'INFO', message: 'ready' })).toBe('ready');
  });
});
