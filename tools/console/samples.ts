/**
 * A local mode with one order in each state the console shows, made the way real orders are: signed Stripe
 * webhooks through intake, the bus and the state machine, against the in-process Yay sandbox with the faults that
 * lead there. For the console's browser tests and its screenshots.
 */
import type { LocalRuntime } from '../../local/runtime/start-local';
import { sampleId, sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import type { Millis } from '../../shared/domain/credit';

/** The buyer whose name is a script: the pages must show it as text. */
export const SCRIPT_BUYER = {
  name: '<script>alert(1)</script>',
  email: 'script.buyer@example.com',
};

export interface ConsoleSamples {
  fulfilled: string[];
  /** A transfer whose outcome Yay's balances cannot prove: waits for resolve-transfer. */
  review: string;
  /** Lacks a last name and an address; its buyer is {@link SCRIPT_BUYER}. */
  missingDetails: string;
  unpriced: string;
  /** Yay refused the credentials (403): waits for a replay. */
  failed: string;
  /** Fulfilled, then refunded by the store. */
  refundAfterCredit: string;
  /** The buyer e-mail of `fulfilled[0]`. */
  email: string;
}

const BUYERS = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Katherine Johnson',
  'Edsger Dijkstra',
  'Barbara Liskov',
];
const CREDITS = ['10.000', '5.000', '20.000', '2.500', '15.000', '10.000'];

function buyer(name: string) {
  const tag = sampleId('cus');
  return { name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`, customerId: tag };
}

/** Seeds `runtime` (which must run the in-process sandbox) and resolves once every order has settled. */
export async function seedConsoleSamples(runtime: LocalRuntime, fulfilledCount = 6): Promise<ConsoleSamples> {
  const sandbox = runtime.sandbox;
  if (!sandbox)
    throw new Error('the console samples need the in-process Yay sandbox (YAY_API_BASE_URL unset)');
  // Enough for every sample: too little would park a transfer in its hourly ResellerBalanceTooLow retries.
  sandbox.setResellerBalance(5_000_000 as Millis);
  const secret = runtime.config.webhookSecrets.stripe;
  const send = async (event: Record<string, unknown>) => {
    const answer = await sendStripeEvent(runtime.url, secret, event);
    if (answer.status !== 202) throw new Error(`intake answered ${answer.status}: ${answer.body}`);
    return stripeOrderKey(event);
  };
  const settle = async (event: Record<string, unknown>) => {
    const orderKey = await send(event);
    await runtime.waitForOrder(orderKey);
    return orderKey;
  };

  const fulfilled: string[] = [];
  const buyers = Array.from({ length: fulfilledCount }, (_, i) => buyer(BUYERS[i % BUYERS.length] as string));
  for (const [i, who] of buyers.entries()) {
    fulfilled.push(
      await settle(stripeCheckoutEvent({ buyer: who, credit: CREDITS[i % CREDITS.length] as string })),
    );
  }

  // No balance can be read and the transfer's answer is lost: nothing can prove whether the credit arrived.
  sandbox.setBehaviour({
    balanceCommands: 'none',
    balanceOnCustomerRecord: false,
    authForBalance: 'rejected',
  });
  sandbox.setFaults({ dropNext: 'transfer' });
  const review = await settle(stripeCheckoutEvent({ buyer: buyer('Margaret Hamilton'), credit: '25.000' }));
  sandbox.setFaults({});
  sandbox.setBehaviour({ balanceCommands: 'reseller-balance', authForBalance: 'honoured' });

  const incomplete = stripeCheckoutEvent({ buyer: { ...SCRIPT_BUYER, customerId: sampleId('cus') } });
  const session = (incomplete.data as { object: { customer_details: { address: unknown } } }).object;
  session.customer_details.address = null;
  const missingDetails = await settle(incomplete);

  const unpricedEvent = stripeCheckoutEvent({ buyer: buyer('John Backus') });
  (unpricedEvent.data as { object: { metadata: unknown } }).object.metadata = {};
  const unpriced = await settle(unpricedEvent);

  sandbox.setFaults({ forbidden: true });
  const failed = await settle(stripeCheckoutEvent({ buyer: buyer('Frances Allen') }));
  sandbox.setFaults({});

  const paid = stripeCheckoutEvent({ buyer: buyer('Donald Knuth'), credit: '30.000' });
  const refundAfterCredit = await settle(paid);
  const sessionId = (paid.data as { object: { id: string } }).object.id;
  await send({
    id: sampleId('evt'),
    object: 'event',
    api_version: '2025-03-31.basil',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type: 'charge.refunded',
    data: {
      object: {
        id: sampleId('ch'),
        object: 'charge',
        currency: 'gbp',
        customer: null,
        billing_details: { name: 'Donald Knuth', email: null, phone: null, address: null },
        receipt_email: null,
        metadata: { checkout_session_id: sessionId },
        payment_intent: null,
        invoice: null,
        // The whole £10.00 the session charged, back: Stripe's running total of the charge's refunds.
        amount: 1000,
        amount_refunded: 1000,
      },
    },
  });
  await runtime.idle();

  return {
    fulfilled,
    review,
    missingDetails,
    unpriced,
    failed,
    refundAfterCredit,
    email: buyers[0]?.email as string,
  };
}
