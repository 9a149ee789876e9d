import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { executionName } from '../../../shared/domain/keys';
import { ExecutionInputSchema } from '../../../shared/workflow/input';

const samplePath = new URL('../../fixtures/console/start-execution.json', import.meta.url);

describe('the sample input of the replay runbook (docs/runbook.md)', () => {
  it('is a valid execution input, so "Start execution" with it runs the workflow', () => {
    const parsed = ExecutionInputSchema.safeParse(JSON.parse(readFileSync(samplePath, 'utf8')));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('names its order key consistently with provider, store and order id', () => {
    const { order } = ExecutionInputSchema.parse(JSON.parse(readFileSync(samplePath, 'utf8')));
    expect(order.orderKey).toBe(`${order.provider}:${order.store}:${order.orderId}`);
    expect(executionName(order.orderKey)).toMatch(/^[A-Za-z0-9-_]{1,80}$/);
  });
});
