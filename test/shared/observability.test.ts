import { afterEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '../../shared/observability';

/** Everything written to stdout and stderr while `run` executes. */
function capture(run: () => void): string {
  const chunks: string[] = [];
  const keep = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

describe('metrics warnings', () => {
  afterEach(() => metrics.clearMetrics());

  it('keeps the per-invocation "no application metrics" notice out of WARN logs', () => {
    const output = capture(() => metrics.publishStoredMetrics());
    expect(output).not.toContain('No application metrics to publish');
  });

  it('still logs other Metrics warnings as structured WARN lines', () => {
    const output = capture(() => metrics.addDimension('provider', ''));
    const line = output.split('\n').find((text) => text.includes("doesn't meet the requirements"));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 'WARN', service: 'yay-provisioning' });
  });
});
