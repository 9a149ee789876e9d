import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RuntimeInfo, writeRuntimeInfo } from '../../local/runtime-info';
import { DEFAULT_STORE_FRONT, SANDBOX_LISTED_PASSWORD } from '../../local/yay-sandbox/server';
import { runOps } from '../../ops/cli';
import type { Millis } from '../../shared/domain/credit';
import { sampleCustomerInput, useYaySandbox } from '../helpers/yay-sandbox';

/**
 * `ops yay-check` reports the settings the deployed functions run with and probes with them: local mode's
 * runtime.json and a stack's `YaySettings` output are read as the functions read their environment.
 */
describe('ops yay-check', () => {
  const yay = useYaySandbox();
  let dataDir = '';
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'yay-check-ops-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A runtime.json naming this process and the sandbox; nothing else it names is called by yay-check. */
  function localMode(yaySettings?: Record<string, string>): void {
    const unused = 'http://127.0.0.1:9';
    const info: RuntimeInfo = {
      pid: process.pid,
      url: 'http://127.0.0.1:3000',
      region: 'eu-west-2',
      stateMachineArn: 'arn:aws:states:eu-west-2:000000000000:stateMachine:CustomerProvisioning',
      tableName: 'local',
      eventBusName: 'local',
      startedAt: new Date().toISOString(),
      endpoints: {
        sfn: unused,
        eventbridge: unused,
        secretsManager: unused,
        dynamodb: unused,
        ses: unused,
        lambda: unused,
        yay: yay.sandbox.url,
      },
      storeFronts: { default: DEFAULT_STORE_FRONT.uuid, stores: {} },
      ...(yaySettings ? { yaySettings } : {}),
      outboxDir: join(dataDir, 'outbox'),
      notifyFunction: 'notify',
    };
    writeRuntimeInfo(dataDir, info);
  }

  async function check(...flags: string[]): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: {} };
    const code = await runOps(['yay-check', '--data-dir', dataDir, ...flags], io);
    return { code, text: lines.join('\n') };
  }

  async function customer(name: string): Promise<void> {
    const client = yay.client();
    const { uuid } = await client.createCustomer(sampleCustomerInput(name, DEFAULT_STORE_FRONT.uuid));
    await client.transferCredit(uuid ?? '', 1_000 as Millis);
  }

  it('prints the default settings, which balance path answers, the history and the allocation in use', async () => {
    await customer('cops');
    localMode({});

    const { code, text } = await check();

    expect(code).toBe(0);
    expect(text).toContain(
      'Settings: yay:customerBalancePath=auto, yay:balanceHistoryPath=auto, yay:creditAllocation=put-balance',
    );
    expect(text).toMatch(
      /ok +customer-balance-path: readable through GET \/account\/reseller-balance\/\{uuid\} \(the first/,
    );
    expect(text).toMatch(
      /ok +balance-history: GET \/account\/reseller-balance\/\{uuid\}\/history answered 1 entry/,
    );
    expect(text).toMatch(
      /unknown +credit-allocation: in use: PUT \/account\/reseller\/\{uuid\} with \{"balance":"<amount>"\}/,
    );
    expect(text).not.toContain(SANDBOX_LISTED_PASSWORD);
    expect(text).not.toContain(yay.sandbox.credentials.password);
  });

  it('probes with the pinned path and the allocation command local mode gave its functions', async () => {
    await customer('cpinned');
    localMode({
      YAY_CUSTOMER_BALANCE_PATH: 'customer-record',
      YAY_CREDIT_ALLOCATION: 'allocate',
      YAY_CREDIT_ALLOCATION_NET: 'true',
    });

    const { code, text } = await check();

    expect(code).toBe(1);
    expect(text).toContain(
      'Settings: yay:customerBalancePath=customer-record, yay:balanceHistoryPath=auto, yay:creditAllocation=allocate, yay:creditAllocationNet=true',
    );
    expect(text).toMatch(/failed +customer-balance-path: pinned \(yay:customerBalancePath=customer-record\)/);
    expect(text).toMatch(/credit-allocation: in use: POST \/account\/reseller-balance\/\{uuid\}\?net=true/);
  });

  it('says it probes with the defaults when local mode recorded no settings', async () => {
    localMode();
    const { text } = await check();
    expect(text).toContain(
      'Settings (the defaults: local mode at http://127.0.0.1:3000 did not record them: restart it): yay:customerBalancePath=auto',
    );
  });

  describe('--aws', () => {
    const cloudFormation = mockClient(CloudFormationClient);
    const secrets = mockClient(SecretsManagerClient);
    afterEach(() => {
      cloudFormation.reset();
      secrets.reset();
    });

    function stack(outputs: Record<string, string>): void {
      const all: Record<string, string> = {
        TableName: 'table',
        StateMachineArn: 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning',
        YaySecretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:yay-AbCdEf',
        EventBusName: 'bus',
        ...outputs,
      };
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: 'YayProvisioning',
            CreationTime: new Date(),
            StackStatus: 'CREATE_COMPLETE',
            Outputs: Object.entries(all).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      });
      secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(yay.sandbox.credentials) });
    }

    async function checkAws(): Promise<{ code: number; text: string }> {
      const lines: string[] = [];
      const io = {
        out: (line: string) => lines.push(line),
        err: (line: string) => lines.push(line),
        env: { YAY_API_BASE_URL: yay.sandbox.url, AWS_REGION: 'eu-west-2' },
      };
      const code = await runOps(['yay-check', '--aws'], io);
      return { code, text: lines.join('\n') };
    }

    it("reads the stack's YaySettings output as the functions read their variables", async () => {
      await customer('caws');
      stack({ YaySettings: JSON.stringify({ YAY_BALANCE_HISTORY_PATH: 'none' }) });
      const { code, text } = await checkAws();
      expect(code).toBe(0);
      expect(text).toContain('yay:balanceHistoryPath=none');
      expect(text).toMatch(/variant +balance-history: switched off \(yay:balanceHistoryPath=none\)/);
    });

    it('names the output when the stack predates it, and fails naming a malformed one', async () => {
      stack({});
      const older = await checkAws();
      stack({ YaySettings: JSON.stringify({ YAY_CREDIT_ALLOCATION: 'allocate' }) });
      const malformed = await checkAws();

      expect(older.text).toContain(
        'Settings (the defaults: stack YayProvisioning has no output YaySettings: deploy this version)',
      );
      expect(malformed.code).toBe(1);
      expect(malformed.text).toContain(
        'stack YayProvisioning output YaySettings: environment variable YAY_CREDIT_ALLOCATION_NET is required',
      );
    });
  });
});
