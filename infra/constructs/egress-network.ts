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

/** Props of {@link EgressNetwork}. */
export interface EgressNetworkProps {
  /**
   * NAT gateways, one per AZ, each with its own Elastic IP (every one must be on Yay's allow-list).
   * One is the cheap default: a single-AZ egress point. Two at most: an environment-agnostic stack sees
   * two AZs. @default 1
   */
  readonly natGateways?: number;
  /** Retention of the VPC flow log group. */
  readonly logRetention: RetentionDays;
  /** TCP ports the functions may reach. @default [443] (Yay and every AWS API are HTTPS) */
  readonly egressPorts?: readonly number[];
}

/**
 * A fixed egress address for the Lambdas that call Yay, whose API only answers allow-listed IPs: a VPC
 * whose private subnets route to the internet through NAT gateway(s) holding Elastic IPs allocated here
 * (not inside the VPC construct, so a change to the subnets or NAT layout does not replace the address),
 * flow logs of all traffic, a DynamoDB gateway endpoint (table traffic skips the NAT's per-GB charge), and a
 * security group that admits nothing in and lets out only HTTPS.
 *
 * With the default single NAT gateway, egress depends on that one AZ: if it fails, calls to Yay fail
 * until it recovers (the workflow retries and the sweep resumes), while the functions themselves still
 * run in both AZs.
 *
 * The addresses live as long as the stack holding this construct: an update keeps them, but destroying
 * and re-creating that stack allocates new ones, which Yay's allow-list must then be given.
 */
export class EgressNetwork extends Construct {
  readonly vpc: Vpc;
  /** Give these to the functions that call Yay: `{ vpc, vpcSubnets, securityGroups }`. */
  readonly vpcSubnets: SubnetSelection;
  readonly securityGroup: SecurityGroup;
  /** The Elastic IPs, one per NAT gateway, in AZ order: what Yay's allow-list must hold. */
  readonly elasticIps: readonly CfnEIP[];
  readonly flowLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EgressNetworkProps) {
    super(scope, id);
    const natGateways = props.natGateways ?? 1;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > 2) {
      throw new Error(`EgressNetwork natGateways must be 1 or 2, got ${natGateways}`);
    }

    this.elasticIps = Array.from({ length: natGateways }, (_, i) => {
      const eip = new CfnEIP(this, `ElasticIp${i + 1}`, {
        domain: 'vpc',
        tags: [{ key: 'Name', value: `${Stack.of(this).stackName}-yay-egress-${i + 1}` }],
      });
      return eip;
    });

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
        eipAllocationIds: this.elasticIps.map((eip) => eip.attrAllocationId),
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
