import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Counts every Powertools logger, metrics and tracer built from now on, in a fresh module graph: each constructor
 * is the library's own, subclassed to record that it ran.
 */
function countPowertoolsObjects(): string[] {
  const built: string[] = [];
  vi.resetModules();
  // biome-ignore lint/suspicious/noExplicitAny: a mixin's constructor must take any arguments.
  const counting = <T extends new (...args: any[]) => object>(name: string, Base: T) =>
    class extends Base {
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      constructor(...args: any[]) {
        super(...args);
        built.push(name);
      }
    };
  vi.doMock('@aws-lambda-powertools/logger', async (importOriginal) => {
    const actual = await importOriginal<typeof import('@aws-lambda-powertools/logger')>();
    return { ...actual, Logger: counting('Logger', actual.Logger) };
  });
  vi.doMock('@aws-lambda-powertools/metrics', async (importOriginal) => {
    const actual = await importOriginal<typeof import('@aws-lambda-powertools/metrics')>();
    return { ...actual, Metrics: counting('Metrics', actual.Metrics) };
  });
  vi.doMock('@aws-lambda-powertools/tracer', async (importOriginal) => {
    const actual = await importOriginal<typeof import('@aws-lambda-powertools/tracer')>();
    return { ...actual, Tracer: counting('Tracer', actual.Tracer) };
  });
  return built;
}

describe('MetricNames', () => {
  afterEach(() => {
    vi.doUnmock('@aws-lambda-powertools/logger');
    vi.doUnmock('@aws-lambda-powertools/metrics');
    vi.doUnmock('@aws-lambda-powertools/tracer');
    vi.resetModules();
  });

  it('builds no Powertools logger, metrics or tracer when imported', async () => {
    const built = countPowertoolsObjects();
    const { MetricNames } = await import('../../shared/metric-names');
    expect(MetricNames.CreditMovedMillis).toBe('CreditMovedMillis');
    expect(built).toEqual([]);
  });

  it('is seen by that count: importing shared/observability builds one of each', async () => {
    // The control for the test above: the same count does see the objects observability builds at import.
    const built = countPowertoolsObjects();
    await import('../../shared/observability');
    expect(built.sort()).toEqual(['Logger', 'Metrics', 'Tracer']);
  });
});
