import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger, metrics, tracer } from '../../shared/observability';
import { secretsManagerReader } from '../../shared/secrets';
import { loadIntakeConfig } from '../../shared/webhooks/config';
import { fromHttpApiEvent, isHttpApiEvent, toHttpApiResult } from '../../shared/webhooks/http-api';
import {
  type IntakeDeps,
  type PartnerOutcome,
  receivePartnerEvent,
  receiveWebhook,
  webhookSecretsFrom,
} from '../../shared/webhooks/intake';
import { powertoolsObserver } from '../../shared/webhooks/observer';
import { eventBridgePublisher } from '../../shared/webhooks/publisher';

// Built once per container: a bad configuration fails the cold start with the variable's name.
const config = loadIntakeConfig();
const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));

/** Dependencies of the deployed handler, built once per container. */
export const deployedDeps: IntakeDeps = {
  secrets: webhookSecretsFrom(
    secretsManagerReader(config.secretsMaxAgeSeconds, secretsManager),
    config.webhookSecretArn,
  ),
  publisher: eventBridgePublisher(eventBridge, config.eventBusName),
  catalog: config.catalog,
  now: () => Date.now(),
  observer: powertoolsObserver(logger, metrics),
};

/**
 * Builds the intake Lambda handler over `deps`: `POST /webhooks/{provider}` from the HTTP API, or a native
 * EventBridge delivery from the Stripe or Shopify partner event source; both go through the same
 * normalizers and publisher. Exported so the benchmark can run the same chain with another publisher.
 */
export function createHandler(intakeDeps: IntakeDeps) {
  const intake = async (
    event: APIGatewayProxyEventV2 | Record<string, unknown>,
  ): Promise<APIGatewayProxyStructuredResultV2 | PartnerOutcome> => {
    if (isHttpApiEvent(event))
      return toHttpApiResult(await receiveWebhook(fromHttpApiEvent(event), intakeDeps));
    return receivePartnerEvent(event, intakeDeps);
  };
  return middy(intake)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/** The deployed handler: real Secrets Manager and EventBridge clients, configuration from the environment. */
export const handler = createHandler(deployedDeps);
