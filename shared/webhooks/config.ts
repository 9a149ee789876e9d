import { EnvNames, intEnv, requireEnv } from '../config';
import { type CreditCatalog, parseCreditCatalog } from './catalog';

/** Intake's configuration, read once at cold start; a missing or malformed value throws naming the variable. */
export interface IntakeConfig {
  readonly eventBusName: string;
  readonly webhookSecretArn: string;
  readonly secretsMaxAgeSeconds: number;
  readonly catalog: CreditCatalog;
}

/** Reads {@link IntakeConfig} from the environment; throws `ConfigInvalid` naming the first bad variable. */
export function loadIntakeConfig(env: NodeJS.ProcessEnv = process.env): IntakeConfig {
  return Object.freeze({
    eventBusName: requireEnv('EVENT_BUS_NAME', env),
    webhookSecretArn: requireEnv('WEBHOOK_SECRET_ARN', env),
    secretsMaxAgeSeconds: intEnv('SECRETS_MAX_AGE_SECONDS', 300, env),
    catalog: parseCreditCatalog(env[EnvNames.CREDIT_CATALOG], EnvNames.CREDIT_CATALOG),
  });
}
