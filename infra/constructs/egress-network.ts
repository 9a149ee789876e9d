import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  CfnEIP,
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  NatProvider,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/**
 * One Elastic IP a NAT gateway egresses from. The two tokens usually come from another stack (the
 * stateful one): CDK turns them into exports and imports.
 */
export interface EgressAddress {
  /** The Elastic IP's allocation id: what the NAT gateway holds. */
  readonly allocationId: string;
  /** The address itself: what Yay's allow-list must hold. */
  readonly publicIp: string;
}

/** Props of {@link EgressAddresses}. */
export interface EgressAddressesProps {
  /** Elastic IPs to allocate, one per NAT gateway (1 or 2). @default 1 */
  readonly count?: number;
}

/**
 * The Elastic IP(s) of the Yay egress, retained on delete. They belong in the stateful stack, not with the
 * network that uses them: Yay's allow-list names these addresses, so destroying and re-creating the
 * stateless stack (or changing its NAT layout) must not release them. Deleting the stack that holds them
 * leaves them allocated (and billed) until someone releases them by hand.
 */
export class EgressAddresses extends Construct {
  /** The Elastic IPs, one per NAT gateway, in AZ order. */
  readonly elasticIps: readonly CfnEIP[];
  /** {@link elasticIps} as {@link EgressNetworkProps.addresses} takes them. */
  readonly addresses: readonly EgressAddress[];

  constructor(scope: Construct, id: string, props: EgressAddressesProps = {}) {
    super(scope, id);
    const count = props.count ?? 1;
    checkNatGateways('EgressAddresses count', count);
    this.elasticIps = Array.from({ length: count }, (_, i) => {
      const eip = new CfnEIP(this, `ElasticIp${i + 1}`, {
        domain: 'vpc',
        tags: [{ key: 'Name', value: `${Stack.of(this).stackName}-yay-egress-${i + 1}` }],
      });
      // An address Yay has allow-listed is worth more than the few dollars a month it costs while unused.
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return eip;
    });
    this.addresses = this.elasticIps.map((eip) => ({
      allocationId: eip.attrAllocationId,
      publicIp: eip.attrPublicIp,
    }));
  }
}

/** Props of {@link EgressNetwork}. */
export interface EgressNetworkProps {
  /**
   * The Elastic IPs (from {@link EgressAddresses}, normally in the stateful stack): one NAT gateway per
   * address, each in its own AZ, and every address must be on Yay's allow-list. One is the cheap default,
   * a single-AZ egress point; two at most, as an environment-agnostic stack sees two AZs.
   */
  readonly addresses: readonly EgressAddress[];
  /** Retention of the VPC flow log group. */
  readonly logRetention: RetentionDays;
  /** TCP ports the functions may reach. @default [443] (Yay and every AWS API are HTTPS) */
  readonly egressPorts?: readonly number[];
}

/**
 * A fixed egress address for the Lambdas that call Yay, whose API only answers allow-listed IPs: a VPC
 * whose private subnets route to the internet through NAT gateway(s) holding the given Elastic IPs
 * (allocated elsewhere, so neither a change to the subnets or NAT layout nor re-creating this stack
 * replaces an address), flow logs of all traffic, a DynamoDB gateway endpoint (table traffic skips the
 * NAT's per-GB charge), and a security group that admits nothing in and lets out only HTTPS.
 *
 * With the default single NAT gateway, egress depends on that one AZ: if it fails, calls to Yay fail
 * until it recovers (the workflow retries and the sweep resumes), while the functions themselves still
 * run in both AZs.
 */
export class EgressNetwork extends Construct {
  readonly vpc: Vpc;
  /** Give these to the functions that call Yay: `{ vpc, vpcSubnets, securityGroups }`. */
  readonly vpcSubnets: SubnetSelection;
  readonly securityGroup: SecurityGroup;
  /** The Elastic IPs, one per NAT gateway, in AZ order: what Yay's allow-list must hold. */
  readonly addresses: readonly EgressAddress[];
  readonly flowLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);
    checkNatGateways('EgressNetwork addresses', props.addresses.length, ' (one per NAT gateway)');
    this.addresses = [...props.addresses];
    const natGateways = this.addresses.length;

    this.flowLogGroup = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      // Operational, like the function logs: they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.80.0.0/20'),
      // Env-agnostic synth resolves two AZs: Lambda keeps running when one fails.
      maxAzs: 2,
      natGateways,
      natGatewayProvider: NatProvider.gateway({
        eipAllocationIds: this.addresses.map((address) => address.allocationId),
      }),
      subnetConfiguration: [
        // Holds only the NAT gateway(s): nothing else is public.
        { name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 26 },
        { name: 'Functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 24 },
      ],
      // Explicit rather than by feature flag: the default security group gets no rules, so nothing that
      // lands in it by mistake can talk to anything.
      restrictDefaultSecurityGroup: true,
      flowLogs: {
        All: {
          destination: FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
      gatewayEndpoints: {
        // Free, and keeps table traffic off the NAT (which charges per GB) and off the internet.
        DynamoDb: {
          service: GatewayVpcEndpointAwsService.DYNAMODB,
          subnets: [{ subnetType: SubnetType.PRIVATE_WITH_EGRESS }],
        },
      },
    });
    this.vpcSubnets = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };

    this.securityGroup = new SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'Yay-calling Lambdas: no inbound; outbound HTTPS only (Yay, AWS APIs)',
      allowAllOutbound: false,
    });
    // DNS goes to the VPC resolver, which security groups do not filter; everything else is HTTPS.
    for (const port of new Set(props.egressPorts ?? [443])) {
      this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(port), `HTTPS out on ${port}`);
    }
  }
}

/** One or two: an environment-agnostic stack sees two AZs, and each NAT gateway needs its own. */
function checkNatGateways(what: string, count: number, unit = ''): void {
  if (!Number.isInteger(count) || count < 1 || count > 2) {
    throw new Error(`${what} must be 1 or 2${unit}, got ${count}`);
  }
}
