/**
 * The one price table the cost benchmark (tools/bench/cost.ts) multiplies by: AWS list prices, USD, on-demand, free
 * tiers not applied, for one region. Each price says where it was read and whether that source confirms the
 * London figure; where it does not, `confirmed` says what was found instead. Re-check them before quoting
 * (`checked`), and change only this file when a price changes.
 *
 * "Price list" below is AWS's own machine-readable price list (the Bulk API offer files, e.g.
 * https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSLambda/current/eu-west-2/index.json), whose eu-west-2
 * lines were read in a stored public transcription of those files; the pricing pages render regional figures in the
 * browser, so their stored text rarely shows London's.
 */

/** `usd` per `per` units of `unit`. */
export interface Price {
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  readonly source: string;
  /** `true`: the source shows this London figure. Otherwise: what is not confirmed, and what the figure rests on. */
  readonly confirmed: true | string;
}

export const PriceTable = {
  region: 'eu-west-2',
  regionName: 'Europe (London)',
  checked: '2026-12-01',
  currency: 'USD',
  prices: {
    stateTransition: {
      usd: 0.025,
      per: 1_000,
      unit: 'Step Functions Standard state transitions',
      source: 'https://aws.amazon.com/step-functions/pricing/ (table row "Europe (London) $0.0250")',
      confirmed: true,
    },
    lambdaRequest: {
      usd: 0.2,
      per: 1_000_000,
      unit: 'Lambda requests (arm64)',
      source: 'https://aws.amazon.com/lambda/pricing/; price list line EUW2-Request-ARM = $0.0000002',
      confirmed: true,
    },
    lambdaArmGbSecond: {
      usd: 0.0000133334,
      per: 1,
      unit: 'Lambda arm64 GB-seconds (first 7.5 billion a month)',
      source:
        'https://aws.amazon.com/lambda/pricing/; price list line EUW2-Lambda-GB-Second-ARM = $0.0000133334',
      confirmed: true,
    },
    dynamoWriteUnit: {
      usd: 0.7423,
      per: 1_000_000,
      unit: 'DynamoDB on-demand write request units (Standard table class)',
      source:
        'https://aws.amazon.com/dynamodb/pricing/on-demand/; cut 50% on 2024-11-01: https://aws.amazon.com/blogs/database/new-amazon-dynamodb-lowers-pricing-for-on-demand-throughput-and-global-tables/',
      confirmed:
        'not confirmed: no stored copy shows London’s rate (US East $0.625 is confirmed); half the pre-cut London rate as recalled ($1.4846), so check it',
    },
    dynamoReadUnit: {
      usd: 0.1485,
      per: 1_000_000,
      unit: 'DynamoDB on-demand read request units (Standard table class)',
      source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (as above)',
      confirmed:
        'not confirmed: US East $0.125 is; half the pre-cut London rate as recalled ($0.297), so check it',
    },
    customEvent: {
      usd: 1.0,
      per: 1_000_000,
      unit: 'EventBridge custom events published (each 64 KB chunk of an entry is one)',
      source: 'https://aws.amazon.com/eventbridge/pricing/',
      confirmed:
        'not confirmed for London: the stored guides quote US East $1.00 and say most commercial regions match',
    },
    archiveGb: {
      usd: 0.1,
      per: 1,
      unit: 'EventBridge archive: GB of events archived',
      source: 'https://aws.amazon.com/eventbridge/pricing/',
      confirmed: 'not confirmed for London: US East $0.10 per GB processed (+ $0.023 per GB-month stored)',
    },
    httpApiRequest: {
      usd: 1.16,
      per: 1_000_000,
      unit: 'API Gateway HTTP API requests (first 300 million a month, 512 KB each)',
      source: 'https://aws.amazon.com/api-gateway/pricing/',
      confirmed:
        'not confirmed: US East $1.00 is; $1.16 is the eu-west-2 line EUW2-ApiGatewayHttpRequest as a public price-tool fixture holds it',
    },
    secretsApiCall: {
      usd: 0.05,
      per: 10_000,
      unit: 'Secrets Manager API calls',
      source:
        'https://aws.amazon.com/secrets-manager/pricing/; price list line EUW2-AWSSecretsManagerAPIRequest',
      confirmed: true,
    },
    secretMonth: {
      usd: 0.4,
      per: 1,
      unit: 'Secrets Manager secret-months',
      source:
        'https://aws.amazon.com/secrets-manager/pricing/; price list line EUW2-AWSSecretsManager-Secrets',
      confirmed: true,
    },
    sesMessage: {
      usd: 0.1,
      per: 1_000,
      unit: 'SES messages (recipients; no attachments are sent)',
      source: 'https://aws.amazon.com/ses/pricing/; price list line EUW2-Recipients = $0.0001',
      confirmed: true,
    },
    logsIngestedGb: {
      usd: 0.5985,
      per: 1,
      unit: 'CloudWatch Logs ingested, Standard class, GB (Step Functions and flow logs too: see confirmed)',
      source: 'https://aws.amazon.com/cloudwatch/pricing/; price list line EUW2-DataProcessing-Bytes',
      confirmed:
        'confirmed for Standard ingestion; Step Functions and VPC flow logs are vended logs, whose London tier is not confirmed, so they are priced at this (no lower) rate',
    },
    logsStoredGbMonth: {
      usd: 0.0315,
      per: 1,
      unit: 'CloudWatch Logs stored, GB-month',
      source: 'https://aws.amazon.com/cloudwatch/pricing/; price list line EUW2-TimedStorage-ByteHrs',
      confirmed: true,
    },
    alarmMetricMonth: {
      usd: 0.1,
      per: 1,
      unit: 'CloudWatch standard-resolution alarm metric-months (a metric-math alarm pays per metric in it)',
      source: 'https://aws.amazon.com/cloudwatch/pricing/; price list line EUW2-CW:AlarmMonitorUsage',
      confirmed: true,
    },
    dashboardMonth: {
      usd: 3.0,
      per: 1,
      unit: 'CloudWatch dashboard-months (the first 3 of an account are free)',
      source: 'https://aws.amazon.com/cloudwatch/pricing/',
      confirmed:
        'not confirmed for London: not in the London price-list file; $3 is the published global figure',
    },
    customMetricMonth: {
      usd: 0.3,
      per: 1,
      unit: 'CloudWatch custom metric-months (first 10,000; prorated by the hour a metric receives data)',
      source: 'https://aws.amazon.com/cloudwatch/pricing/; price list line EUW2-CW:MetricMonitorUsage',
      confirmed: true,
    },
    xrayTrace: {
      usd: 5.0,
      per: 1_000_000,
      unit: 'X-Ray traces recorded (first 100,000 a month free)',
      source: 'https://aws.amazon.com/xray/pricing/ ("5 USD pro Million", stored German copy)',
      confirmed: 'confirmed as the page’s one price; the page lists no regional variation',
    },
    natGatewayHour: {
      usd: 0.05,
      per: 1,
      unit: 'NAT gateway-hours',
      source: 'https://aws.amazon.com/vpc/pricing/; price list line EUW2-NatGateway-Hours',
      confirmed: true,
    },
    natGatewayGb: {
      usd: 0.05,
      per: 1,
      unit: 'NAT gateway data processed, GB',
      source: 'https://aws.amazon.com/vpc/pricing/; price list line EUW2-NatGateway-Bytes',
      confirmed: true,
    },
    publicIpv4Hour: {
      usd: 0.005,
      per: 1,
      unit: 'public IPv4 address-hours (an Elastic IP, in use or idle)',
      source: 'https://aws.amazon.com/vpc/pricing/; price list line EUW2-PublicIPv4:InUseAddress',
      confirmed: true,
    },
    kmsKeyMonth: {
      usd: 1.0,
      per: 1,
      unit: 'KMS customer-managed key-months (the alarm topic’s key)',
      source: 'https://aws.amazon.com/kms/pricing/; price list line eu-west-2-KMS-Keys',
      confirmed: true,
    },
    schedulerInvocation: {
      usd: 1.15,
      per: 1_000_000,
      unit: 'EventBridge Scheduler invocations beyond 14 million a month free',
      source: 'https://aws.amazon.com/eventbridge/pricing/; price list line EUW2-ScheduledInvocation',
      confirmed: true,
    },
  },
} as const satisfies {
  region: string;
  regionName: string;
  checked: string;
  currency: string;
  prices: Record<string, Price>;
};

export type PriceName = keyof typeof PriceTable.prices;
