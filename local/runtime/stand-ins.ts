/** The AWS stand-ins on loopback, each behind the IAM check, on the ports the handlers' clients keep. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startDynalite } from '../aws/dynamodb/dynalite';
import { startDynamoDbProxy } from '../aws/dynamodb/proxy';
import type { LocalEventBus } from '../aws/event-bus/bus';
import { LocalSecretIds, LocalSecrets } from '../aws/secrets';
import type { LocalStepFunctions } from '../aws/step-functions/engine';
import type { LocalTemplate } from '../aws/template/types';
import type { LocalConfig } from '../config';
import type { LocalAccess } from '../iam/access';
import { type LoopbackServer, listenLoopback } from '../listen';
import type { Cleanups } from './cleanups';
import { dataDirKey } from './data-dir';
import { json } from './front-door';
import { localReferences } from './handler-environment';
import type { LocalRuntime } from './start-local';

/** The stand-ins' ports, as the handlers' SDK clients were told them. */
export interface StandInPorts {
  sfn: number;
  eventbridge: number;
  secrets: number;
  dynamodb: number;
  ses: number;
  lambda: number;
  yay?: number;
}

/** Ports of the stand-ins of the first runtime of this process: handlers' SDK clients keep pointing there. */
let firstRuntimePorts: StandInPorts | undefined;

/** The ports of this process's first runtime, which a later runtime binds again; undefined before one started. */
export function portsOfFirstRuntime(): StandInPorts | undefined {
  return firstRuntimePorts;
}

/** Remembers the first runtime's ports (a later call changes nothing: the handlers' clients are already built). */
export function rememberPorts(ports: StandInPorts): void {
  firstRuntimePorts ??= ports;
}

/** The AWS services the handlers call, on loopback: dynalite and the SFN, EventBridge, Secrets stand-ins. */
export interface StandIns {
  readonly dynamodbUrl: string;
  readonly sfn: LoopbackServer;
  readonly eventbridge: LoopbackServer;
  readonly secretsManager: LoopbackServer;
  /** SES v2 SendEmail (the outbox) and Lambda Invoke (for the ops CLI). */
  readonly ses: LoopbackServer;
  readonly lambda: LoopbackServer;
  /** What the SFN, EventBridge and Secrets Manager stand-ins serve, once attached. */
  operations(): LocalRuntime['awsOperations'];
  /**
   * Serves SFN, EventBridge, SES and Lambda from the engine, the bus and the handlers, which can only be built once
   * the handlers' environment is set.
   */
  attach(
    workflow: LocalStepFunctions,
    bus: LocalEventBus,
    handlers: { ses: RequestHandler; lambda: RequestHandler },
  ): void;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * Starts the stand-ins, on the ports of this process's first runtime (the handlers' clients keep them), each
 * enforcing `access`. DynamoDB is dynalite behind a proxy that enforces it; dynalite itself gets a new port each time.
 */
export async function startStandIns(
  config: LocalConfig,
  cleanups: Cleanups,
  access: LocalAccess,
  secretMetadata: LocalTemplate['secrets'],
): Promise<StandIns> {
  const dynalite = await startDynalite(config.dataDir, 0);
  cleanups.push(() => dynalite.close());
  const dynamo = await startDynamoDbProxy({
    target: () => dynalite.url,
    access: access.check,
    port: portsOfFirstRuntime()?.dynamodb ?? 0,
  });
  cleanups.push(() => dynamo.close());
  let sfnHandler: RequestHandler | undefined;
  let busHandler: RequestHandler | undefined;
  let operations: LocalRuntime['awsOperations'] | undefined;
  let sesHandler: RequestHandler | undefined;
  let lambdaHandler: RequestHandler | undefined;
  const notYet: RequestHandler = (_req, res) => json(res, 503, { message: 'local mode is starting' });
  const sfn = await listenLoopback(
    (req, res) => (sfnHandler ?? notYet)(req, res),
    portsOfFirstRuntime()?.sfn ?? 0,
  );
  cleanups.push(() => sfn.close());
  const eventbridge = await listenLoopback(
    (req, res) => (busHandler ?? notYet)(req, res),
    portsOfFirstRuntime()?.eventbridge ?? 0,
  );
  cleanups.push(() => eventbridge.close());
  const ses = await listenLoopback(
    (req, res) => (sesHandler ?? notYet)(req, res),
    portsOfFirstRuntime()?.ses ?? 0,
  );
  cleanups.push(() => ses.close());
  const lambda = await listenLoopback(
    (req, res) => (lambdaHandler ?? notYet)(req, res),
    portsOfFirstRuntime()?.lambda ?? 0,
  );
  cleanups.push(() => lambda.close());
  const secrets = new LocalSecrets();
  // What DescribeSecret shows of each: the template's secret behind the variable the functions read it from.
  const about = (arn: string) => {
    const variable = Object.entries(localReferences('')).find(([, value]) => value === arn)?.[0];
    return (variable && secretMetadata?.[variable]) || undefined;
  };
  secrets.set(LocalSecretIds.yay, config.yayCredentials, about(LocalSecretIds.yay));
  secrets.set(
    LocalSecretIds.webhooks,
    {
      stripe: [config.webhookSecrets.stripe],
      shopify: [config.webhookSecrets.shopify],
      woocommerce: [config.webhookSecrets.woocommerce],
    },
    about(LocalSecretIds.webhooks),
  );
  secrets.set(
    LocalSecretIds.namingKey,
    { key: dataDirKey(config.dataDir, 'naming-key') },
    about(LocalSecretIds.namingKey),
  );
  secrets.set(
    LocalSecretIds.passwordKey,
    { key: dataDirKey(config.dataDir, 'password-key') },
    about(LocalSecretIds.passwordKey),
  );
  const secretsHandler = secrets.serviceHandler(access.check);
  const secretsManager = await listenLoopback(secretsHandler, portsOfFirstRuntime()?.secrets ?? 0);
  cleanups.push(() => secretsManager.close());
  return {
    dynamodbUrl: dynamo.url,
    sfn,
    eventbridge,
    secretsManager,
    ses,
    lambda,
    operations: () => {
      if (!operations) throw new Error('the stand-ins are not attached yet');
      return operations;
    },
    attach(workflow, bus, handlers) {
      const sfnServed = workflow.serviceHandler(access.check);
      const busServed = bus.serviceHandler(access.check);
      sfnHandler = sfnServed;
      busHandler = busServed;
      operations = {
        sfn: sfnServed.operations,
        eventbridge: busServed.operations,
        secretsManager: secretsHandler.operations,
      };
      sesHandler = handlers.ses;
      lambdaHandler = handlers.lambda;
    },
  };
}
