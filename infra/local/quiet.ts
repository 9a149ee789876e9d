/**
 * Powertools Metrics warns "No application metrics to publish" on every invocation that adds no metric,
 * even with metrics disabled; local mode has no CloudWatch, so in the human-readable output that line
 * would repeat after almost every state. The entry points drop exactly that line from stderr; everything
 * else passes through untouched (tests use the runtime directly and see the raw output).
 */
const NOISE = 'No application metrics to publish.';

/** Drops Powertools' empty-metrics warning from this process's stderr. */
export function dropEmptyMetricsWarnings(): void {
  const write = process.stderr.write.bind(process.stderr) as (...args: unknown[]) => boolean;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    if (text.startsWith(NOISE)) return true;
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
}
