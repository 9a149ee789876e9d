import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { type ISecret, Secret, type SecretStringGenerator } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../shared/domain/order-event';
import { TableSchema } from '../../shared/store/schema';
import type { InfraConfig } from '../config';
import { type EgressAddress, EgressAddresses } from '../constructs/egress-network';

/** Description of the `YayEgressIp` output (in both stacks: the ops CLI reads the provisioning one). */
export const EGRESS_IP_DESCRIPTION =
  'Source address(es) of every call to Yay: add each to the Yay account’s IP allow-list';

/** Props of {@link StatefulStack}. */
export interface StatefulStackProps extends StackProps {
  /**
   * Validated context; decides which secrets are imported rather than created, and whether (and how many)
   * egress Elastic IPs exist.
   */
  readonly config: InfraConfig;
}

/**
 * What must outlive any redeploy: the order table, the provisioning bus (and its archive, for replay),
 * the secrets and, with `provisioning:staticEgressIp`, the Elastic IP(s) on Yay's allow-list. Every
 * resource is retained when the stack is deleted, so tearing down and redeploying the workflow can never
 * lose an order, a transfer intent, a credential or an allow-listed address.
 */
export class StatefulStack extends Stack {
  /** The single table of orders, buyers, transfer intents and leases. */
  readonly table: TableV2;
  /** The bus that carries normalized `OrderEvent`s from intake to dispatch. */
  readonly bus: EventBus;
  /** Secret JSON `{"reseller","user","password"}`. */
  readonly yaySecret: ISecret;
  /** Secret JSON `{"stripe":[…],"shopify":[…],"woocommerce":[…]}`. */
  readonly webhookSecret: ISecret;
  /** Secret JSON `{"key":"…"}`: derives Yay customer names. */
  readonly namingKeySecret: ISecret;
  /** Secret JSON `{"key":"…"}`: seals the store password between create-customer and the welcome e-mail. */
  readonly passwordKeySecret: ISecret;
  /**
   * The Elastic IP(s) the provisioning stack's NAT gateway(s) hold, in AZ order; empty unless
   * `provisioning:staticEgressIp` is on.
   */
  readonly egressAddresses: readonly EgressAddress[];

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { terminationProtection: false, ...props });
    const { config } = props;

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TableSchema.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: TableSchema.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          // Sparse work queues: only open orders, unsettled transfers and orders waiting for a person carry
          // `openPk`, so the sweep and the operator read just those.
          indexName: TableSchema.openOrdersIndex.name,
          partitionKey: { name: TableSchema.openOrdersIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TableSchema.openOrdersIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
        {
          // Sparse: orders that may still owe credit (paid, credit not moved, no person asked), which the sweep
          // walks so nothing owed is forgotten.
          indexName: TableSchema.owedIndex.name,
          partitionKey: { name: TableSchema.owedIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TableSchema.owedIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
        {
          // Sparse: a customer's transfers whose call may have happened undecided (IN_FLIGHT, UNKNOWN), so
          // transfer-credit reads that customer's few, not every unsettled transfer.
          indexName: TableSchema.customerTransfersIndex.name,
          partitionKey: { name: TableSchema.customerTransfersIndex.partitionKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
        {
          // Sparse: orders by the day they were created and credit by the day it moved, for the operator
          // console's paged Orders page and charts. Nothing in the workflow reads it, so no function is granted it.
          indexName: TableSchema.byDayIndex.name,
          partitionKey: { name: TableSchema.byDayIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TableSchema.byDayIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
        ...[TableSchema.buyerEmailIndex, TableSchema.customerNameIndex].map((lookup) => ({
          // Sparse, keys only: the console's search by buyer e-mail and by Yay customer name.
          indexName: lookup.name,
          partitionKey: { name: lookup.partitionKey, type: AttributeType.STRING },
          sortKey: { name: lookup.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        })),
      ],
    });

    this.bus = new EventBus(this, 'Bus', { description: 'Normalized order events from the stores' });
    this.bus.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const archive = this.bus.archive('Archive', {
      description: 'Every order event, for replay from the console after a fix',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(365),
    });
    archive.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.yaySecret = this.secret('YaySecret', config.yaySecretArn, {
      description:
        'Yay reseller API credentials: JSON {"reseller","user","password"}. Set the value after deploy.',
    });
    this.webhookSecret = this.secret('WebhookSecret', config.webhookSecretArn, {
      description:
        'Webhook signing secrets: JSON {"stripe":["whsec_…"],"shopify":["…"],"woocommerce":["…"]}. Set after deploy.',
    });
    this.namingKeySecret = this.secret('NamingKeySecret', config.namingKeySecretArn, {
      description:
        'HMAC key that derives Yay customer names from buyer keys: JSON {"key":"…"}. Never rotate.',
      // Unlike the others this one needs no human: a random key is exactly what it should hold.
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });

    this.passwordKeySecret = this.secret('PasswordKeySecret', config.passwordKeySecretArn, {
      description:
        'Key that seals each new customer’s store password until the welcome e-mail: JSON {"key":"…"} (32+ ' +
        'characters). Rotating it makes passwords sealed before unreadable: their welcomes fail and are alarmed.',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
      },
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName });
    new CfnOutput(this, 'YaySecretArn', { value: this.yaySecret.secretArn });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn });
    new CfnOutput(this, 'NamingKeySecretArn', { value: this.namingKeySecret.secretArn });
    new CfnOutput(this, 'PasswordKeySecretArn', { value: this.passwordKeySecret.secretArn });

    // Here rather than with the NAT gateway: re-creating the stateless stack must not change the address.
    // Nothing is added while the flag is off, so that template stays exactly as it was.
    this.egressAddresses = config.staticEgressIp
      ? new EgressAddresses(this, 'Egress', { count: config.egressAzs }).addresses
      : [];
    if (this.egressAddresses.length > 0) {
      new CfnOutput(this, 'YayEgressIp', {
        value: Fn.join(
          ', ',
          this.egressAddresses.map((address) => address.publicIp),
        ),
        description: EGRESS_IP_DESCRIPTION,
      });
    }
  }

  /**
   * Creates a secret without a usable value in the template (a random placeholder the handlers reject as
   * "not JSON" until an operator sets the real value), or imports an existing one by ARN from context.
   */
  private secret(
    id: string,
    importArn: string | undefined,
    options: { description: string; generateSecretString?: SecretStringGenerator },
  ): ISecret {
    if (importArn !== undefined) {
      // A complete ARN ends in the 6-character suffix Secrets Manager appends; grants then need no wildcard.
      return /-[A-Za-z0-9]{6}$/.test(importArn)
        ? Secret.fromSecretCompleteArn(this, id, importArn)
        : Secret.fromSecretPartialArn(this, id, importArn);
    }
    const secret = new Secret(this, id, {
      description: options.description,
      removalPolicy: RemovalPolicy.RETAIN,
      generateSecretString: options.generateSecretString ?? { passwordLength: 32, excludePunctuation: true },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Third-party credentials (Yay, store signing secrets) are rotated at the provider and pasted in; the naming ' +
        'key must never change or customer names stop matching. Handlers re-read secrets every few minutes.',
    });
    return secret;
  }
}
