import { EnvNames, intEnv } from '../../shared/config';
import { workflowHandler } from '../../shared/workflow/lambda';
import { handleNotify } from '../../shared/workflow/notify';
import {
  loginUrlsFromEnv,
  mailerFromEnv,
  notificationStoresFromEnv,
  observability,
  passwordKeyFromEnv,
  secretsFromEnv,
  storeFromEnv,
} from '../../shared/workflow/runtime';

/** Past any SES "Email Sent" event still on its way for an attempt that died after SES accepted it. */
const DEFAULT_RETRY_MIN_AGE_SECONDS = 600;

const store = storeFromEnv();
const mailer = mailerFromEnv();
const deps = {
  ...observability,
  orders: store,
  buyers: store,
  ...notificationStoresFromEnv(),
  passwordKey: passwordKeyFromEnv(secretsFromEnv()),
  mailer,
  // Only read with e-mail on: off, nothing is addressed and the sign-in address may be left unset.
  loginUrlFor: mailer ? loginUrlsFromEnv() : () => '',
};
const options = {
  minAgeSeconds: intEnv(EnvNames.EMAIL_RETRY_MIN_AGE_SECONDS, DEFAULT_RETRY_MIN_AGE_SECONDS, process.env, {
    allowZero: true,
  }),
};

/**
 * The buyer e-mails: `Customer Created` → the welcome, `Credit Transferred` → a receipt (provisioning bus); SES's
 * "Email Sent" settles a marker (default bus); `{job:"retry-emails"}` (schedule) and `{job:"resend-welcome",…}`
 * (a person, by direct invoke).
 */
export const handler = workflowHandler(async (event: unknown) => handleNotify(deps, event, options));
