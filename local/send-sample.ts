/**
 * Sends one signed sample Stripe Checkout event to a running local mode:
 *   npx tsx local/send-sample.ts [--url http://127.0.0.1:3000] paid | unpaid | confirm <session> | fail <session>
 * Signs with STRIPE_WEBHOOK_SECRET (from the environment or `.env`), else local mode's default fake.
 */
import { loadDotEnv, readLocalConfig } from './config';
import { sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from './samples';

loadDotEnv();
const args = process.argv.slice(2);
const urlIndex = args.indexOf('--url');
const config = readLocalConfig();
const url = urlIndex >= 0 ? args.splice(urlIndex, 2)[1] : `http://127.0.0.1:${config.port}`;
const [kind, session] = args;

const usage =
  'usage: send-sample.ts [--url <base url>] paid | unpaid | confirm <session id> | fail <session id>';
let event: Record<string, unknown>;
switch (kind) {
  case 'paid':
    event = stripeCheckoutEvent({ paymentStatus: 'paid' });
    break;
  case 'unpaid':
    event = stripeCheckoutEvent({ paymentStatus: 'unpaid' });
    break;
  case 'confirm':
  case 'fail':
    if (!session) {
      process.stderr.write(`${kind} needs the session id printed by "unpaid"\n${usage}\n`);
      process.exit(2);
    }
    event = stripeCheckoutEvent({
      sessionId: session,
      type:
        kind === 'confirm'
          ? 'checkout.session.async_payment_succeeded'
          : 'checkout.session.async_payment_failed',
    });
    break;
  default:
    process.stderr.write(`${usage}\n`);
    process.exit(2);
}

try {
  const result = await sendStripeEvent(String(url), config.webhookSecrets.stripe, event);
  const sessionId = (event.data as { object: { id: string } }).object.id;
  process.stdout.write(
    `${result.status} ${result.body}\norder ${stripeOrderKey(event)} (session ${sessionId})\n`,
  );
  process.exit(result.status >= 200 && result.status < 300 ? 0 : 1);
} catch (error) {
  process.stderr.write(
    `could not reach local mode at ${url}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
