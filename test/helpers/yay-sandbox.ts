import { inspect } from 'node:util';
import { afterEach, beforeEach } from 'vitest';
import { type SandboxOptions, startYaySandbox, type YaySandbox } from '../../local/yay-sandbox/server';
import { createYayClient, type YayClient, type YayClientOptions } from '../../shared/yay/client';
import type { CreateCustomerInput } from '../../shared/yay/types';

/** Starts a fresh sandbox before each test and stops it after; `client()` talks to it with short timeouts. */
export function useYaySandbox(options?: SandboxOptions): {
  readonly sandbox: YaySandbox;
  client(overrides?: Partial<YayClientOptions>): YayClient;
} {
  let current: YaySandbox | undefined;
  beforeEach(async () => {
    current = await startYaySandbox(options);
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  const get = (): YaySandbox => {
    if (!current) throw new Error('sandbox is only available inside a test');
    return current;
  };
  return {
    get sandbox() {
      return get();
    },
    client(overrides) {
      const sandbox = get();
      return createYayClient({
        baseUrl: sandbox.url,
        credentials: sandbox.credentials,
        timeoutMs: 500,
        ...overrides,
      });
    },
  };
}

/** A valid store-customer create body with obvious fake data. */
export function sampleCustomerInput(name: string, storeFront: string): CreateCustomerInput {
  return {
    name,
    contact_name: 'Geoff Wilson',
    store_front: storeFront,
    users: [
      {
        contact_first_name: 'Geoff',
        contact_last_name: 'Wilson',
        name: 'admin',
        password: 'test-only-store-password',
        role_id: '3',
        email: 'customer@example.com',
      },
    ],
    addresses: [
      {
        street_one: 'Westbury House',
        city: 'Guildford',
        state: 'Surrey',
        zip: 'GU2 4AW',
        country_code: 'GB',
      },
    ],
  };
}

/**
 * Everything an error could expose once logged or serialized: message, stack, every own property
 * (enumerable or not) and the whole `cause` chain, in JSON and in `util.inspect` form.
 */
export function exposeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    parts.push(inspect(current, { depth: 10, showHidden: true }));
    if (typeof current === 'object') {
      const props = Object.getOwnPropertyNames(current).map((key) => [
        key,
        String((current as Record<string, unknown>)[key]),
      ]);
      parts.push(JSON.stringify(props));
      parts.push(JSON.stringify(current));
    }
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}
