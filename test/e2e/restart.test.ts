import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/aws/lambda';
import { listOutbox } from '../../local/aws/outbox';
import type { SesHoldPoint } from '../../local/aws/ses';
import { LOCAL_AWS_CREDENTIALS, readRuntimeInfo } from '../../local/runtime-info';
import { sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import { DEFAULT_STORE_FRONT, startYaySandbox, type YaySandbox } from '../../local/yay-sandbox/server';
import { runOps } from '../../ops/cli';
import type { Millis } from '../../shared/domain/credit';
import { createDynamoStore } from '../../shared/store';
import { createNotificationStores } from '../../shared/store/dynamo-store';
import { EmailKeys } from '../../shared/store/email-repository';
import { E2E_SECRETS, E2E_YAY, e2eEnv, eventually, uniqueBuyer, yayCustomersOf } from './support';

interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `npm start`'s entry point in a child process, killed with SIGKILL mid-flight and started again on the
 * same data dir. The Yay sandbox lives in the test process, as Yay itself outlives local mode.
 */
describe('local mode restarted after a kill', () => {
  let sandbox: YaySandbox;
  let dataDir: string;
  const output: string[] = [];
  const children: Child[] = [];
  const otherDirs: string[] = [];

  async function startChild(dir = dataDir): Promise<Child> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/start.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...e2eEnv({
          YAY_API_BASE_URL: sandbox.url,
          YAY_STORE_FRONT: DEFAULT_STORE_FRONT.uuid,
          LOCAL_DATA_DIR: dir,
          LOCAL_MAX_WAIT_SECONDS: '60',
          LOCAL_LOG_FORMAT: 'json',
          PORT: '0',
        }),
      },
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    let ready: (url: string) => void;
    const url = new Promise<string>((resolve) => {
      ready = resolve;
    });
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output.push(text);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes('"local mode ready"')) ready((JSON.parse(line) as { url: string }).url);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    const started = await Promise.race([
      url,
      exited.then(({ code }) => {
        throw new Error(`local mode exited (${code}) before it was ready:\n${output.join('').slice(-2000)}`);
      }),
    ]);
    const entry = { process: child, url: started, exited };
    children.push(entry);
    return entry;
  }

  function store(dir = dataDir) {
    const info = readRuntimeInfo(dir);
    if (!info) throw new Error('local mode wrote no runtime.json');
    const client = new DynamoDBClient({
      endpoint: info.endpoints.dynamodb,
      region: info.region,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    return createDynamoStore({ tableName: info.tableName, client });
  }

  const stateOf = async (orderKey: string, dir = dataDir) => (await store(dir).getOrder(orderKey))?.state;

  /** The order keys of the events the bus of local mode on `dir` has accepted, as its log holds them. */
  function acceptedOrderKeys(dir: string): string[] {
    return readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{"accepted"'))
      .map((line) => (JSON.parse(line) as { accepted: { event: { detail: { orderKey: string } } } }).accepted)
      .map((accepted) => accepted.event.detail.orderKey);
  }

  beforeAll(async () => {
    sandbox = await startYaySandbox({
      credentials: E2E_YAY,
      storeFronts: [DEFAULT_STORE_FRONT],
      resellerBalance: 1_000_000 as Millis,
    });
    dataDir = mkdtempSync(join(tmpdir(), 'yay-e2e-restart-'));
  });

  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await sandbox?.stop();
    for (const dir of [dataDir, ...otherDirs]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finishes every order in flight exactly once after SIGKILL and a restart, and stops cleanly on SIGTERM', async () => {
    const waiting = uniqueBuyer('killwait');
    const transferring = uniqueBuyer('killtransfer');
    const unpaid = stripeCheckoutEvent({ buyer: waiting, paymentStatus: 'unpaid' });
    const paid = stripeCheckoutEvent({ buyer: transferring, paymentStatus: 'paid' });
    const secret = E2E_SECRETS.STRIPE_WEBHOOK_SECRET;

    // First life: one order waits for its payment, the other is killed while its transfer is at Yay.
    const first = await startChild();
    expect((await sendStripeEvent(first.url, secret, unpaid)).status).toBe(202);
    await eventually('the unpaid order to wait', async () =>
      (await stateOf(stripeOrderKey(unpaid))) === 'awaiting_payment' ? true : undefined,
    );
    // Yay holds the transfer until the kill is done: the kill always lands while the call is at Yay.
    sandbox.setFaults({ holdNext: 'transfer' });
    expect((await sendStripeEvent(first.url, secret, paid)).status).toBe(202);
    await eventually('the transfer call to be held at Yay', () => (sandbox.held > 0 ? true : undefined));
    first.process.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    // Then Yay applies it, though its caller is gone and never hears the answer.
    sandbox.release();
    await eventually('the held transfer to be applied', () =>
      yayCustomersOf(sandbox, transferring).some((c) => c.transfers.length > 0) ? true : undefined,
    );
    sandbox.setFaults({});

    // Second life on the same data dir: the recovery sweep restarts both.
    const second = await startChild();
    await eventually(
      'the unpaid order to wait again',
      async () => ((await stateOf(stripeOrderKey(unpaid))) === 'awaiting_payment' ? true : undefined),
      30_000,
    );
    const sessionId = (unpaid.data as { object: { id: string } }).object.id;
    const confirm = stripeCheckoutEvent({
      buyer: waiting,
      sessionId,
      type: 'checkout.session.async_payment_succeeded',
    });
    expect((await sendStripeEvent(second.url, secret, confirm)).status).toBe(202);
    for (const event of [unpaid, paid]) {
      await eventually(
        `${stripeOrderKey(event)} to be fulfilled`,
        async () => ((await stateOf(stripeOrderKey(event))) === 'fulfilled' ? true : undefined),
        30_000,
      );
    }
    const opsOut: string[] = [];
    const opsCode = await runOps(['status', stripeOrderKey(paid), '--data-dir', dataDir], {
      out: (line) => opsOut.push(line),
      err: (line) => opsOut.push(line),
      env: {},
    });
    second.process.kill('SIGTERM');
    const stopped = await second.exited;

    for (const buyer of [waiting, transferring]) {
      expect(yayCustomersOf(sandbox, buyer).map((c) => [c.balance, c.transfers.length])).toEqual([
        [10_000, 1],
      ]);
    }
    expect(opsCode).toBe(0);
    expect(opsOut.join('\n')).toMatch(/state\s+fulfilled/);
    expect(opsOut.join('\n')).toMatch(/replays: 1/);
    expect(stopped.code).toBe(0);
    expect(readRuntimeInfo(dataDir)).toBeUndefined();
    const everything = output.join('');
    const namingKey = readFileSync(join(dataDir, 'naming-key'), 'utf8').trim();
    for (const value of [...Object.values(E2E_SECRETS), namingKey]) expect(everything).not.toContain(value);
    expect(everything).not.toMatch(/local1\.[A-Za-z0-9_-]{20,}/);
  }, 120_000);

  it('provisions an order killed right after its 202, exactly once, after a restart: the 202 meant the event was on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yay-e2e-restart-202-'));
    otherDirs.push(dir);
    const buyer = uniqueBuyer('kill202');
    const paid = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
    const orderKey = stripeOrderKey(paid);

    // First life: killed the moment the webhook is answered, before its delivery can be relied on.
    const first = await startChild(dir);
    const answer = await sendStripeEvent(first.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, paid);
    first.process.kill('SIGKILL');
    const killed = await first.exited;
    const onDisk = acceptedOrderKeys(dir);
    // Second life on the same data dir: the bus delivers again what it had not finished delivering.
    const second = await startChild(dir);
    await eventually(
      `${orderKey} to be fulfilled`,
      async () => ((await stateOf(orderKey, dir)) === 'fulfilled' ? true : undefined),
      30_000,
    );
    second.process.kill('SIGTERM');
    const stopped = await second.exited;

    expect(answer.status).toBe(202);
    expect(killed.signal).toBe('SIGKILL');
    expect(onDisk).toContain(orderKey);
    expect(yayCustomersOf(sandbox, buyer).map((c) => [c.balance, c.transfers.length])).toEqual([[10_000, 1]]);
    expect(stopped.code).toBe(0);
  }, 120_000);

  /**
   * Killed while SES holds the welcome: before SES took it (nothing was sent: the restart sends it once), and after
   * SES wrote it to the outbox but before SES announced it (it was sent: the restart must not send it again).
   */
  for (const at of ['before-accept', 'after-file'] as const satisfies readonly SesHoldPoint[]) {
    it(`sends a new buyer exactly one welcome when killed during the send (SES held ${at})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `yay-e2e-restart-email-${at}-`));
      otherDirs.push(dir);
      const buyer = uniqueBuyer(`killmail${at.replace('-', '')}`);
      const paid = stripeCheckoutEvent({ buyer, paymentStatus: 'paid' });
      const orderKey = stripeOrderKey(paid);

      const first = await startChild(dir);
      const ses = readRuntimeInfo(dir)?.endpoints.ses;
      await fetch(`${ses}/__local/ses/hold`, { method: 'POST', body: JSON.stringify({ at }) });
      expect((await sendStripeEvent(first.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, paid)).status).toBe(202);
      await eventually('the welcome to be held at SES', async () => {
        const { held } = (await (await fetch(`${ses}/__local/ses/held`)).json()) as { held: number };
        return held > 0 ? true : undefined;
      });
      first.process.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const heldThen = listOutbox(join(dir, 'outbox')).filter((m) => m.to.includes(buyer.email)).length;

      const second = await startChild(dir);
      const info = readRuntimeInfo(dir);
      const client = new DynamoDBClient({
        endpoint: info?.endpoints.dynamodb,
        region: info?.region,
        credentials: LOCAL_AWS_CREDENTIALS,
      });
      const { emails } = createNotificationStores({ tableName: info?.tableName ?? '', client });
      const order = await eventually(
        `${orderKey} fulfilled and its welcome settled`,
        async () => {
          const found = await store(dir).getOrder(orderKey);
          if (found?.state !== 'fulfilled' || !found.customerName) return undefined;
          const marker = await emails.get(EmailKeys.welcome(found.customerName));
          return marker?.status === 'SENT' ? found : undefined;
        },
        30_000,
      );
      client.destroy();
      second.process.kill('SIGTERM');
      expect((await second.exited).code).toBe(0);

      const welcomes = listOutbox(join(dir, 'outbox')).filter((m) => m.to.includes(buyer.email));
      expect(heldThen).toBe(at === 'before-accept' ? 0 : 1);
      expect(welcomes.map((m) => m.subject)).toEqual(['Your calling account is ready']);
      expect(order.customerName).toBeDefined();
    }, 120_000);
  }

  // Last, over every start above: each child enforced the template's IAM grants, and none denied a call.
  it("made no call a function's role does not allow, in any of the processes", () => {
    expect(output.join('')).not.toContain('"message":"access denied"');
  });
});
