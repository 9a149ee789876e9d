/** What the Yay sandbox's tests share: the default credentials as headers, and sandboxes stopped after each test. */
import { afterEach } from 'vitest';
import {
  DEFAULT_SANDBOX_CREDENTIALS,
  type SandboxOptions,
  startYaySandbox,
  type YaySandbox,
} from '../../../local/yay-sandbox/server';
import { sampleCustomerInput } from '../../helpers/yay-sandbox';

/** The sandbox's default credentials, as the client sends them. */
export const AUTH = {
  'x-auth-reseller': DEFAULT_SANDBOX_CREDENTIALS.reseller,
  'x-auth-user': DEFAULT_SANDBOX_CREDENTIALS.user,
  'x-auth-password': DEFAULT_SANDBOX_CREDENTIALS.password,
};

/** One answer: its HTTP status and the Yay envelope. */
export interface Answer {
  http: number;
  body: { result: unknown; status_code: number; status_message: string };
}

/**
 * For a suite: sandboxes that stop after each test, a call with the default credentials, and a customer created
 * through the API.
 */
export function sandboxSuite() {
  const started: YaySandbox[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((sandbox) => sandbox.stop()));
  });

  async function start(options?: SandboxOptions): Promise<YaySandbox> {
    const sandbox = await startYaySandbox(options);
    started.push(sandbox);
    return sandbox;
  }

  async function call(
    sandbox: YaySandbox,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = AUTH,
  ): Promise<Answer> {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { http: response.status, body: (await response.json()) as Answer['body'] };
  }

  async function createCustomer(sandbox: YaySandbox, name: string): Promise<string> {
    const answer = await call(
      sandbox,
      'POST',
      '/account/reseller',
      sampleCustomerInput(name, sandbox.storeFronts[0]?.uuid ?? ''),
    );
    return (answer.body.result as { uuid: string }).uuid;
  }
  return { start, call, createCustomer };
}
