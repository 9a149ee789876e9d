/**
 * `npm run send-sample -- [--url http://127.0.0.1:3000] paid | unpaid | confirm <session> | fail <session>`: sends
 * one signed sample Stripe Checkout event to a running local mode (`npm start` prints the command with its URL).
 * Signs with STRIPE_WEBHOOK_SECRET (from the environment or `.env`), else local mode's default fake.
 */
import { parseArgs } from 'node:util';
import { loadDotEnv, readLocalConfig } from '../local/config';
import { sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from '../local/samples';

const usage =
  'usage: npm run send-sample -- [--url <base url>] paid | unpaid | confirm <session id> | fail <session id>';

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let url: string | undefined;
let kind: string | undefined;
let session: string | undefined;
try {
  const { values, positionals } = parseArgs({
    options: { url: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  url = values.url;
  [kind, session] = positionals;
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`, 2);
}
loadDotEnv();
const config = readLocalConfig();
const baseUrl = url ?? `http://127.0.0.1:${config.port}`;

let event: Record<string, unknown>;
switch (kind) {
  case 'paid':
  case 'unpaid':
    event = stripeCheckoutEvent({ paymentStatus: kind });
    break;
  case 'confirm':
  case 'fail':
    if (!session) fail(`${kind} needs the session id printed by "unpaid"\n${usage}`, 2);
    event = stripeCheckoutEvent({
      sessionId: session,
      type:
        kind === 'confirm'
          ? 'checkout.session.async_payment_succeeded'
          : 'checkout.session.async_payment_failed',
    });
    break;
  default:
    fail(usage, 2);
}

try {
  const result = await sendStripeEvent(baseUrl, config.webhookSecrets.stripe, event);
  const sessionId = (event.data as { object: { id: string } }).object.id;
  process.stdout.write(
    `${result.status} ${result.body}\norder ${stripeOrderKey(event)} (session ${sessionId})\n`,
  );
  process.exit(result.status >= 200 && result.status < 300 ? 0 : 1);
} catch (error) {
  fail(
    `could not reach local mode at ${baseUrl}: ${error instanceof Error ? error.message : String(error)}`,
    1,
  );
}
