/**
 * What `npm run demo` runs (bin/demo.ts): local mode on free ports with a throw-away data dir, one signed paid Stripe checkout and
 * one asynchronous one (unpaid, then `async_payment_succeeded`), each order's timeline, the Yay customers and
 * balances that resulted, and the e-mails the buyers were sent (a welcome, and a receipt for the credit that moved
 * after it). Exits 0 when both orders are fulfilled and both e-mails are in the outbox, else 1 with the reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCredit } from '../shared/domain/credit';
import { createYayClient } from '../shared/yay/client';
import { listOutbox } from './aws/outbox';
import { loadDotEnv } from './config';
import { progressReader } from './runtime/progress';
import { type LocalRuntime, type StartLocalOptions, startLocal } from './runtime/start-local';
import { SAMPLE_BUYER, sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from './samples';

const say = (line = '') => process.stdout.write(`${line}\n`);

/** An order as local mode's `waitForOrder` resolves with it: no task token, with its transfer intent. */
type WaitedOrder = Awaited<ReturnType<LocalRuntime['waitForOrder']>>;

function printTimeline(runtime: LocalRuntime, order: WaitedOrder): void {
  say(
    `\n${order.orderKey}: ${order.state}, customer ${order.customerName ?? '-'}, transfer ${order.transfer?.status ?? '-'}`,
  );
  const executions = runtime.workflow
    .list()
    .filter((record) => record.orderKey === order.orderKey)
    .reverse();
  for (const execution of executions) {
    say(`  execution ${execution.name}: ${execution.status}`);
    const read = progressReader(execution.name);
    for (const step of runtime.workflow.history(execution.executionArn).flatMap(read)) {
      if (step.state === undefined || !/^(ok|caught|retry|→)/.test(step.outcome)) continue;
      say(`    ${new Date(step.timestamp).toISOString().slice(11, 23)}  ${step.state}  ${step.outcome}`);
    }
  }
}

async function printYay(runtime: LocalRuntime): Promise<void> {
  const yay = createYayClient({
    baseUrl: runtime.info.endpoints.yay,
    credentials: runtime.config.yayCredentials,
  });
  say(`\nYay (${runtime.sandbox ? 'sandbox' : runtime.info.endpoints.yay})`);
  say(`  reseller balance ${describeCredit(await yay.resellerBalance())}`);
  for (const customer of await yay.listCustomers()) {
    const balance = await yay.customerBalance(customer);
    say(
      `  customer ${customer.name} (${customer.contact_name ?? '-'}) ${customer.uuid}: balance ${balance === undefined ? 'unreadable' : describeCredit(balance)}`,
    );
  }
}

/**
 * The outbox as a buyer would read it: headers and the text part. The password is shown masked: it is in the
 * `.eml` file, the one place it is written.
 */
function printOutbox(runtime: LocalRuntime): { welcomes: number; receipts: number } {
  const messages = listOutbox(runtime.outboxDir);
  say(`\nE-mails (local SES stand-in: ${runtime.outboxDir})`);
  for (const message of messages) {
    const raw = readFileSync(message.file, 'utf8');
    // The text part: after its headers (up to the blank line), up to the next boundary.
    const part = raw.split('Content-Type: text/plain; charset=UTF-8')[1] ?? '';
    const text = part.slice(part.search(/\r?\n\r?\n/)).split(/\r?\n--=_yay_/)[0] ?? '';
    say(`  From: ${message.from}\n  To: ${message.to.join(', ')}\n  Subject: ${message.subject}`);
    for (const line of text
      .replace(/^(\r?\n)+/, '')
      .trimEnd()
      .split(/\r?\n/)) {
      say(`  | ${line.replace(/(Password:\s+)\S+/, '$1•••••••• (in the .eml)')}`);
    }
    say('');
  }
  return {
    welcomes: messages.filter((m) => m.tags.kind === 'welcome').length,
    receipts: messages.filter((m) => m.tags.kind === 'receipt').length,
  };
}

/**
 * Runs the demo, printing as it goes; resolves with the exit code: 0 when both orders are fulfilled and both
 * e-mails are in the outbox, else 1 with the reason on stderr.
 */
export async function runDemo(options: Pick<StartLocalOptions, 'mount'> = {}): Promise<number> {
  loadDotEnv();
  const dataDir = mkdtempSync(join(tmpdir(), 'yay-demo-'));
  const maxWait = Number(process.env.LOCAL_MAX_WAIT_SECONDS) || 30;
  let runtime: LocalRuntime | undefined;
  // Ctrl-C mid-demo still removes the throw-away data dir.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (async () => {
        await runtime?.stop();
        rmSync(dataDir, { recursive: true, force: true });
        process.stderr.write(`\ndemo interrupted (${signal})\n`);
        process.exit(130);
      })();
    });
  }
  try {
    say('Starting local mode (synthesizing the CDK app, dynalite, stand-ins, Yay sandbox)…');
    runtime = await startLocal({
      overrides: { port: 0, dataDir, maxWaitSeconds: maxWait },
      print: (line) => say(`  ${line}`),
      schedules: false,
      ...options,
    });
    const secret = runtime.config.webhookSecrets.stripe;
    say(`Local mode on ${runtime.url}\n`);

    const paid = stripeCheckoutEvent({ paymentStatus: 'paid', buyer: SAMPLE_BUYER, credit: '10.000' });
    const paidKey = stripeOrderKey(paid);
    say(`1. Paid checkout ${paidKey}`);
    const first = await sendStripeEvent(runtime.url, secret, paid);
    if (first.status !== 202)
      throw new Error(`the paid checkout was answered ${first.status}: ${first.body}`);

    const buyer = {
      name: 'Ada Lovelace',
      email: 'ada.lovelace@example.com',
      customerId: 'cus_test_local_ada',
    };
    const placed = stripeCheckoutEvent({ paymentStatus: 'unpaid', buyer, credit: '5.000' });
    const asyncKey = stripeOrderKey(placed);
    const sessionId = (placed.data as { object: { id: string } }).object.id;
    say(`2. Asynchronous checkout ${asyncKey} (unpaid: Bacs/SEPA still settling)`);
    const second = await sendStripeEvent(runtime.url, secret, placed);
    if (second.status !== 202)
      throw new Error(`the unpaid checkout was answered ${second.status}: ${second.body}`);
    await runtime.waitForOrder(asyncKey, 20_000, 'awaiting_payment');
    say('   …the payment settles: checkout.session.async_payment_succeeded');
    const confirmed = stripeCheckoutEvent({
      sessionId,
      type: 'checkout.session.async_payment_succeeded',
      buyer,
      credit: '5.000',
    });
    const third = await sendStripeEvent(runtime.url, secret, confirmed);
    if (third.status !== 202)
      throw new Error(`the payment confirmation was answered ${third.status}: ${third.body}`);

    const orders = [
      await runtime.waitForOrder(paidKey, 60_000),
      await runtime.waitForOrder(asyncKey, 60_000),
    ];
    // The e-mails are sent from the events the orders published: wait for those deliveries too.
    await runtime.idle();
    say('\nTimelines');
    for (const order of orders) printTimeline(runtime, order);
    await printYay(runtime);
    const sent = printOutbox(runtime);
    const unfinished = orders.filter((order) => order.state !== 'fulfilled');
    if (unfinished.length > 0) {
      throw new Error(
        unfinished
          .map((o) => `${o.orderKey} ended ${o.state}${o.lastError ? ` (${o.lastError.Error})` : ''}`)
          .join('; '),
      );
    }
    // Ada's order was paid after her welcome went out: its credit gets a receipt.
    if (sent.welcomes < 2 || sent.receipts < 1) {
      throw new Error(
        `expected two welcomes and a receipt in the outbox, found ${sent.welcomes} and ${sent.receipts}`,
      );
    }
    say('Demo finished: both orders fulfilled, both buyers welcomed, the late payment receipted.');
    return 0;
  } catch (error) {
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
