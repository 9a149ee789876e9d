/**
 * How a running local mode is found from outside it (the ops CLI, the restart tests): `<dataDir>/runtime.json`,
 * written once everything listens and removed on a clean stop. Kept apart from the runtime so a client
 * loads neither the CDK app nor the handlers to read it.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfiguredStoreFronts } from '../shared/store-fronts';

/**
 * Fake AWS credentials for the SDK: the stand-ins do not check signatures. Not frozen: the SDK marks the
 * credentials object it is given with where they came from.
 */
export const LOCAL_AWS_CREDENTIALS = {
  accessKeyId: 'local',
  secretAccessKey: 'local-test-only-not-a-secret',
};

/** Written to `<dataDir>/runtime.json` while local mode runs. */
export interface RuntimeInfo {
  pid: number;
  url: string;
  /** The region every local ARN names; SDK clients of the stand-ins use it too. */
  region: string;
  stateMachineArn: string;
  tableName: string;
  /** The provisioning bus (`EVENT_BUS_NAME`): the ops CLI publishes what its use cases decide there. */
  eventBusName: string;
  startedAt: string;
  endpoints: {
    sfn: string;
    eventbridge: string;
    secretsManager: string;
    dynamodb: string;
    /** SES v2 (SendEmail into the outbox; `/__local/ses/…` holds for tests). */
    ses: string;
    /** Lambda Invoke: `ops resend-welcome` invokes notify here as it would the deployed function. */
    lambda: string;
    yay: string;
  };
  /** The store fronts create-customer is given (the default and each store's own), for `ops yay-check`. */
  storeFronts: ConfiguredStoreFronts;
  /**
   * The Yay settings variables the Yay functions are given (`YAY_CUSTOMER_BALANCE_PATH` & co.; only those not at
   * their defaults), for `ops yay-check`.
   */
  yaySettings?: Record<string, string>;
  /** The SES stand-in's messages, one `.eml` each: `ops outbox`. */
  outboxDir: string;
  /** The outbound events as the template's log group receives them, one JSON line each: `ops events`. */
  outboundEventsFile?: string;
  /** The function `ops resend-welcome` invokes. */
  notifyFunction: string;
}

function infoFile(dataDir: string): string {
  return join(dataDir, 'runtime.json');
}

/** Reads `<dataDir>/runtime.json` of a running local mode, or undefined when none is recorded. */
export function readRuntimeInfo(dataDir: string): RuntimeInfo | undefined {
  const file = infoFile(dataDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
}

/** Writes `<dataDir>/runtime.json`; the function returned removes it. */
export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): () => void {
  const file = infoFile(dataDir);
  writeFileSync(file, `${JSON.stringify(info, null, 2)}\n`);
  return () => rmSync(file, { force: true });
}
