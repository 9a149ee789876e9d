import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Providers } from '../../shared/domain/keys';

/** Props of {@link WebhookApi}. */
export interface WebhookApiProps {
  readonly intake: IFunction;
  readonly logRetention: RetentionDays;
  /** Steady-state requests per second. @default 50 */
  readonly rateLimit?: number;
  /** @default 100 */
  readonly burstLimit?: number;
}

/** The webhook paths, one per store provider: `POST /webhooks/<provider>`. */
export const WEBHOOK_PATHS = Providers.map((provider) => `/webhooks/${provider}`);

/**
 * HTTP API in front of webhook-intake. No authorizer: the stores cannot send AWS credentials, so each
 * request is authenticated by its HMAC signature inside intake (401 when it does not verify). The stage
 * is throttled so a flood of forged requests costs little, and every request is access-logged.
 */
export class WebhookApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** `https://…/` of the default stage. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'Payment webhooks from the stores (Stripe, Shopify, WooCommerce)',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    this.url = this.stage.url;

    const integration = new HttpLambdaIntegration('Intake', props.intake);
    for (const path of WEBHOOK_PATHS) {
      const [route] = this.api.addRoutes({ path, methods: [HttpMethod.POST], integration });
      if (route) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'Stores cannot sign with AWS credentials; intake verifies each webhook’s HMAC signature.',
        });
      }
    }
  }
}
