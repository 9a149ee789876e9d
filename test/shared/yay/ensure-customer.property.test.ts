import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SandboxFaults, startYaySandbox } from '../../../local/yay-sandbox/server';
import { YayRateLimited, YayUnavailable } from '../../../shared/errors';
import { createYayClient } from '../../../shared/yay/client';
import { ensureCustomer } from '../../../shared/yay/ensure-customer';
import { sampleCustomerInput } from '../../helpers/yay-sandbox';

/** One attempt's fault: what the state machine's next retry meets. */
const faultArbitrary: fc.Arbitrary<SandboxFaults> = fc.oneof(
  fc.constant({}),
  fc.constant({ dropNext: 'create' as const }),
  fc.constant({ truncateNext: 'create' as const }),
  fc.constant({ dropNext: 'any' as const }),
  fc.constant({ errorRate: 1 }),
  fc.record({ errorRate: fc.constant(0.5), errorSeed: fc.integer() }),
);

describe('ensureCustomer under retries', () => {
  it('leaves exactly one customer, and every success names it, whatever faults each attempt meets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(faultArbitrary, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        async (faults, omitUuid) => {
          const sandbox = await startYaySandbox({ behaviour: { omitUuidOnCreate: omitUuid } });
          try {
            const client = createYayClient({
              baseUrl: sandbox.url,
              credentials: sandbox.credentials,
              timeoutMs: 500,
            });
            const input = sampleCustomerInput('cproperty', sandbox.storeFronts[0]?.uuid ?? '');
            const uuids: string[] = [];
            // Each fault set is one attempt, as the state machine would retry; then a clean final attempt.
            for (const fault of [...faults, {}]) {
              sandbox.setFaults(fault);
              try {
                uuids.push((await ensureCustomer(client, input)).uuid);
              } catch (error) {
                // Only the retriable errors may escape; anything else would fail the order.
                expect(error instanceof YayUnavailable || error instanceof YayRateLimited).toBe(true);
              }
            }
            const { customers } = sandbox.state;
            expect(customers).toHaveLength(1);
            expect(new Set(uuids)).toEqual(new Set([customers[0]?.uuid]));
          } finally {
            await sandbox.stop();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
