/**
 * The schemas of the context keys that stand alone: where Yay is, the payment window, alarms, the partner bus, the
 * money thresholds, logs, egress and the secrets imported by ARN. One schema per key.
 */
import * as z from 'zod';
import { parseCredit } from '../../shared/domain/credit';
import { UUID_PATTERN } from '../../shared/store-fronts';
import { DEFAULT_PAYMENT_WINDOW_DAYS, DEFAULT_RECONCILE_BY_BALANCE_UP_TO } from './context-keys';
import { creditAmount, expecting, HttpsUrl, optionalText, orDefault, wholeNumber } from './context-value';

/** `yay:apiBaseUrl`: https, kept without a trailing slash. */
export const YayApiBaseUrlSchema = expecting(
  z.string().refine((url) => HttpsUrl.safeParse(url).success),
  'must be an https URL',
).transform((url) => url.replace(/\/+$/, ''));

/** `yay:storeFront`: the default store front. */
export const YayStoreFrontSchema = expecting(z.string().regex(UUID_PATTERN), 'must be a UUID');

const DAYS = 'must be a whole number of days 1–365';
/** `provisioning:paymentWindowDays`: a Standard execution lives a year at most. */
export const PaymentWindowDaysSchema = orDefault(
  wholeNumber(DAYS, [(days) => days >= 1 && days <= 365, DAYS]),
  DEFAULT_PAYMENT_WINDOW_DAYS,
);

/** `provisioning:alarmEmail`: an address, or nothing. */
export const AlarmEmailSchema = optionalText('must be an e-mail address or empty', [
  z.email(),
  'must be an e-mail address or empty',
]);

/** `provisioning:partnerEventBusName`: a partner event source's bus, or nothing. */
export const PartnerEventBusNameSchema = optionalText('must be an event bus name', [
  z.string().regex(/^aws\.partner\/[.\-_A-Za-z0-9/]{1,240}$/),
  'must be a partner event bus name (aws.partner/…)',
]);

const GBP = 'must be a GBP amount with at most three decimals';
/** `provisioning:resellerBalanceFloor`, in thousandths: no headroom unless set. */
export const ResellerBalanceFloorSchema = orDefault(creditAmount(GBP), 0);
/** `provisioning:reconcileByBalanceUpTo`, in thousandths. */
export const ReconcileByBalanceUpToSchema = orDefault(
  creditAmount(GBP),
  parseCredit(DEFAULT_RECONCILE_BY_BALANCE_UP_TO),
);

const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/** `provisioning:logRetentionDays`: one of the retentions CloudWatch Logs offers; 90 unless set. */
export const LogRetentionDaysSchema = orDefault(
  wholeNumber('must be a CloudWatch Logs retention in days', [
    (days) => RETENTION_DAYS.includes(days),
    `must be one of ${RETENTION_DAYS.join(', ')}`,
  ]),
  90,
);

/**
 * `provisioning:egressAzs`: an env-agnostic stack sees two AZs (synth does no lookups), so one or two NAT gateways;
 * numbers come as strings from the CLI. Validated even while the flag is off, so a typo does not wait for the day
 * the flag is turned on.
 */
export const EgressAzsSchema = orDefault(
  expecting(
    z.union([z.int(), z.string().regex(/^\d+$/).transform(Number)]).pipe(z.int().min(1).max(2)),
    'must be 1 or 2 (NAT gateways, one Elastic IP each)',
  ),
  1,
);

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
/** `provisioning:yaySecretArn` and the other secrets imported by ARN instead of created. */
export const SecretArnSchema = optionalText('must be a secret ARN', [
  z.string().regex(SECRET_ARN),
  'must be a Secrets Manager secret ARN (arn:aws:secretsmanager:…)',
]);
