import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, cdkJsonContext } from '../../infra/app-factory';
import { ContextKeys, loadInfraConfig } from '../../infra/config';
import { EgressAddresses, EgressNetwork } from '../../infra/constructs/egress-network';
import { type FunctionName, FunctionNames } from '../../infra/names';
import { ProvisioningStack } from '../../infra/stacks/provisioning-stack';
import { StatefulStack } from '../../infra/stacks/stateful-stack';
import { ConfigInvalid } from '../../shared/errors';
import { acknowledgements, functionProperties, synthesized } from './synth';

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Resources = Record<string, Resource>;
type Output = { Value: unknown; Description?: string; Export?: { Name: string } };
type Outputs = Record<string, Output>;

/** The functions whose handler builds a Yay client, read from the source so a new caller cannot be missed. */
const yayCallersInSource = (): FunctionName[] =>
  FunctionNames.filter((name) =>
    /\byayFromEnv\(/.test(
      readFileSync(new URL(`../../functions/${name}/handler.ts`, import.meta.url), 'utf8'),
    ),
  );
const YAY_CALLERS: FunctionName[] = [
  'create-customer',
  'transfer-credit',
  'reconcile-transfer',
  'sweep',
  'daily-reconciliation',
];

interface EgressSynth {
  readonly built: ReturnType<typeof buildApp>;
  readonly provisioning: Template;
  readonly stateful: Template;
  readonly annotations: Annotations[];
}

/** One synth with the flag on, shared by the file; the assembly is read into memory and removed at once. */
let egressOn: EgressSynth | undefined;
function synthesizedWithEgress(): EgressSynth {
  if (egressOn) return egressOn;
  const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-egress-test-'));
  try {
    const built = buildApp({ bundle: false, outdir, context: { [ContextKeys.staticEgressIp]: true } });
    built.app.synth();
    egressOn = {
      built,
      provisioning: Template.fromStack(built.provisioning),
      stateful: Template.fromStack(built.stateful),
      annotations: [Annotations.fromStack(built.stateful), Annotations.fromStack(built.provisioning)],
    };
    return egressOn;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Runs `body` in an app of its own; its assembly dir (App makes one even unsynthesized) is removed at once. */
function inBareApp<T>(body: (app: App) => T): T {
  const outdir = mkdtempSync(join(tmpdir(), 'yay-cdk-egress-bare-test-'));
  try {
    return body(new App({ outdir }));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const text = (value: unknown) => JSON.stringify(value);
const props = (resource: Resource): Record<string, unknown> => resource.Properties ?? {};
const outputsOf = (template: Template): Outputs => template.toJSON().Outputs ?? {};

/**
 * What a `Fn::ImportValue` in one stack stands for: the value of the other stack's output exported under
 * that name (a strong cross-stack reference). Fails the test when the value is not such an import.
 */
function imported(value: unknown, exporter: Template): unknown {
  const name = (value as { 'Fn::ImportValue'?: unknown } | undefined)?.['Fn::ImportValue'];
  expect(typeof name, `expected an Fn::ImportValue, got ${text(value)}`).toBe('string');
  const exports = Object.values(outputsOf(exporter)).filter((output) => output.Export?.Name === name);
  expect(exports, `exports named ${String(name)}`).toHaveLength(1);
  return exports[0]?.Value;
}

describe('both stacks without provisioning:staticEgressIp (the default)', () => {
  const stacks = () => ({ provisioning: synthesized().provisioning, stateful: synthesized().stateful });

  it.each(['provisioning', 'stateful'] as const)(
    '%s creates no VPC, NAT gateway, Elastic IP or any other EC2 resource',
    (stack) => {
      const resources: Resources = stacks()[stack].toJSON().Resources;
      expect(ofType(resources, 'AWS::EC2::VPC')).toEqual([]);
      expect(Object.values(resources).filter((r) => r.Type.startsWith('AWS::EC2::'))).toEqual([]);
    },
  );

  it('runs every function outside a VPC and outputs no egress address from either stack', () => {
    for (const name of FunctionNames) {
      expect(functionProperties(synthesized().provisioning, name), name).not.toHaveProperty('VpcConfig');
    }
    for (const template of Object.values(stacks())) {
      expect(Object.keys(outputsOf(template)).filter((key) => /Egress/i.test(key))).toEqual([]);
    }
  });
});

/** The stateful stack's one Elastic IP, with the flag on. */
function statefulEip(): [string, Resource] {
  const found = ofType(synthesizedWithEgress().stateful.toJSON().Resources, 'AWS::EC2::EIP');
  expect(
    found.map(([id]) => id),
    'AWS::EC2::EIP in the stateful stack',
  ).toHaveLength(1);
  return found[0] as [string, Resource];
}

describe('ProvisioningStack with provisioning:staticEgressIp true', () => {
  let template: Template;
  let resources: Resources;
  const single = (type: string): [string, Resource] => {
    const found = ofType(resources, type);
    expect(
      found.map(([id]) => id),
      type,
    ).toHaveLength(1);
    return found[0] as [string, Resource];
  };
  beforeAll(() => {
    template = synthesizedWithEgress().provisioning;
    resources = template.toJSON().Resources;
  });

  it('creates one VPC whose one NAT gateway, in a public subnet, holds the stateful stack’s EIP', () => {
    single('AWS::EC2::VPC');
    expect(ofType(resources, 'AWS::EC2::EIP')).toEqual([]);
    const [eipId] = statefulEip();
    const [, nat] = single('AWS::EC2::NatGateway');
    expect(imported(nat.Properties?.AllocationId, synthesizedWithEgress().stateful)).toEqual({
      'Fn::GetAtt': [eipId, 'AllocationId'],
    });
    const subnetId = (props(nat).SubnetId as { Ref: string }).Ref;
    expect(resources[subnetId]?.Properties?.MapPublicIpOnLaunch).toBe(true);
  });

  it('sends the default route of every private subnet to that NAT gateway', () => {
    const [natId] = single('AWS::EC2::NatGateway');
    const privateSubnets = ofType(resources, 'AWS::EC2::Subnet').filter(
      ([, s]) => s.Properties?.MapPublicIpOnLaunch === false,
    );
    expect(privateSubnets).toHaveLength(2);
    const natRoutes = ofType(resources, 'AWS::EC2::Route').filter(
      ([, r]) => text(r.Properties?.NatGatewayId) === text({ Ref: natId }),
    );
    expect(natRoutes).toHaveLength(2);
    for (const [, route] of natRoutes) expect(route.Properties?.DestinationCidrBlock).toBe('0.0.0.0/0');
  });

  it('logs all VPC traffic to CloudWatch Logs with the configured retention', () => {
    const [vpcId] = single('AWS::EC2::VPC');
    const [, flowLog] = single('AWS::EC2::FlowLog');
    expect(flowLog.Properties).toMatchObject({
      ResourceId: { Ref: vpcId },
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    const groupId = (props(flowLog).LogGroupName as { Ref: string }).Ref;
    expect(resources[groupId]?.Properties?.RetentionInDays).toBe(90);
  });

  it('routes DynamoDB through a gateway endpoint on the private route tables', () => {
    const [, endpoint] = single('AWS::EC2::VPCEndpoint');
    expect(endpoint.Properties?.VpcEndpointType).toBe('Gateway');
    expect(text(endpoint.Properties?.ServiceName)).toContain('.dynamodb');
    expect(endpoint.Properties?.RouteTableIds).toHaveLength(2);
  });

  it('places exactly the functions that build a Yay client in the private subnets, the others stay out', () => {
    expect(yayCallersInSource()).toEqual(YAY_CALLERS);
    const [sgId] = single('AWS::EC2::SecurityGroup');
    const privateSubnetRefs = ofType(resources, 'AWS::EC2::Subnet')
      .filter(([, s]) => s.Properties?.MapPublicIpOnLaunch === false)
      .map(([id]) => ({ Ref: id }));
    for (const name of FunctionNames) {
      const vpcConfig = functionProperties(template, name).VpcConfig as
        | { SubnetIds: unknown[]; SecurityGroupIds: unknown[] }
        | undefined;
      if (!YAY_CALLERS.includes(name)) {
        expect(vpcConfig, name).toBeUndefined();
        continue;
      }
      expect(vpcConfig?.SubnetIds, name).toEqual(privateSubnetRefs);
      expect(vpcConfig?.SecurityGroupIds, name).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    }
  });

  it('lets the functions security group out on HTTPS only and in on nothing', () => {
    const [, sg] = single('AWS::EC2::SecurityGroup');
    expect(sg.Properties?.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties?.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(ofType(resources, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
  });

  it('outputs YayEgressIp, the stateful stack’s address, for the ops CLI that reads this stack', () => {
    const [eipId] = statefulEip();
    const output = outputsOf(template).YayEgressIp;
    expect(output?.Description).toMatch(/allow-list/);
    expect(imported(output?.Value, synthesizedWithEgress().stateful)).toEqual({
      'Fn::GetAtt': [eipId, 'PublicIp'],
    });
  });

  it('changes nothing about the functions that stay outside the VPC', () => {
    const plain = synthesized().provisioning;
    for (const name of FunctionNames.filter((n) => !YAY_CALLERS.includes(n))) {
      expect(functionProperties(template, name), name).toEqual(functionProperties(plain, name));
    }
  });
});

describe('StatefulStack with provisioning:staticEgressIp true', () => {
  it('allocates the one Elastic IP in the VPC domain, retained on delete and on replacement', () => {
    const [, eip] = statefulEip();
    expect(eip.Properties?.Domain).toBe('vpc');
    expect(eip.DeletionPolicy).toBe('Retain');
    expect(eip.UpdateReplacePolicy).toBe('Retain');
    const stateful: Resources = synthesizedWithEgress().stateful.toJSON().Resources;
    expect(ofType(stateful, 'AWS::EC2::VPC')).toEqual([]);
    expect(ofType(stateful, 'AWS::EC2::NatGateway')).toEqual([]);
  });

  it('outputs YayEgressIp: the Elastic IP to put on the Yay allow-list', () => {
    const [eipId] = statefulEip();
    synthesizedWithEgress().stateful.hasOutput('YayEgressIp', {
      Value: { 'Fn::GetAtt': [eipId, 'PublicIp'] },
      Description: Match.stringLikeRegexp('allow-list'),
    });
  });

  it('adds the address, its output and its exports, and changes nothing else', () => {
    const [eipId] = statefulEip();
    const on = synthesizedWithEgress().stateful.toJSON();
    const off = synthesized().stateful.toJSON();
    const added = Object.keys(on.Outputs as Outputs).filter((key) => !(key in (off.Outputs as Outputs)));
    expect(added.sort()).toEqual(
      [
        'YayEgressIp',
        expect.stringMatching(new RegExp(`^ExportsOutputFnGetAtt${eipId}AllocationId`)),
        expect.stringMatching(new RegExp(`^ExportsOutputFnGetAtt${eipId}PublicIp`)),
      ].sort(),
    );
    const { [eipId]: _eip, ...otherResources } = on.Resources as Resources;
    const otherOutputs = Object.fromEntries(
      Object.entries(on.Outputs as Outputs).filter(([key]) => !added.includes(key)),
    );
    expect({ ...on, Resources: otherResources, Outputs: otherOutputs }).toEqual(off);
  });
});

describe('cdk-nag AwsSolutions with provisioning:staticEgressIp true', () => {
  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(synthesizedWithEgress().built.app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges the managed VPC access policy on each Yay caller only, with a reason', () => {
    const vpcAcks = acknowledgements(synthesizedWithEgress().built.app).filter((ack) =>
      ack.id.includes('AWSLambdaVPCAccessExecutionRole'),
    );
    expect(vpcAcks.map((ack) => ack.path.split('/')[1]).sort()).toEqual(
      ['CreateCustomer', 'DailyReconciliation', 'ReconcileTransfer', 'Sweep', 'TransferCredit'].sort(),
    );
    for (const ack of acknowledgements(synthesizedWithEgress().built.app)) {
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(30);
    }
  });

  it('leaves no error or warning annotation on either stack', () => {
    for (const found of synthesizedWithEgress().annotations) {
      expect(found.findError('*', Match.anyValue())).toEqual([]);
      expect(found.findWarning('*', Match.anyValue())).toEqual([]);
    }
  });
});

describe('provisioning:staticEgressIp and provisioning:egressAzs context', () => {
  const base = cdkJsonContext();
  const load = (overrides: Record<string, unknown>) => {
    const context: Record<string, unknown> = { ...base, ...overrides };
    return loadInfraConfig((key) => context[key]);
  };

  it('defaults to off with one NAT gateway, and reads CLI strings', () => {
    expect(load({})).toMatchObject({ staticEgressIp: false, egressAzs: 1 });
    expect(load({ [ContextKeys.staticEgressIp]: 'true', [ContextKeys.egressAzs]: '2' })).toMatchObject({
      staticEgressIp: true,
      egressAzs: 2,
    });
    expect(load({ [ContextKeys.staticEgressIp]: 'false' }).staticEgressIp).toBe(false);
  });

  it.each([
    [
      ContextKeys.staticEgressIp,
      'yes',
      /^context provisioning:staticEgressIp must be true or false, got "yes"$/,
    ],
    [ContextKeys.staticEgressIp, 1, /^context provisioning:staticEgressIp must be true or false, got 1$/],
    [ContextKeys.egressAzs, 3, /^context provisioning:egressAzs must be 1 or 2 .*, got 3$/],
    [ContextKeys.egressAzs, '1.5', /^context provisioning:egressAzs must be 1 or 2 .*, got "1.5"$/],
    [ContextKeys.egressAzs, 0, /^context provisioning:egressAzs must be 1 or 2 .*, got 0$/],
  ])('rejects %s = %j with a message naming the key', (key, value, message) => {
    let caught: unknown;
    try {
      load({ [key]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigInvalid);
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses a ProvisioningStack with the flag on but no Elastic IPs handed over, naming the prop', () => {
    const config = load({ [ContextKeys.staticEgressIp]: true });
    inBareApp((app) => {
      const stateful = new StatefulStack(app, 'Data', { config });
      const { table, bus, yaySecret, webhookSecret, namingKeySecret, passwordKeySecret } = stateful;
      const build = (egressAddresses?: StatefulStack['egressAddresses']) =>
        new ProvisioningStack(app, `Provisioning${egressAddresses ? 'With' : 'Without'}`, {
          config,
          bundle: false,
          table,
          bus,
          yaySecret,
          webhookSecret,
          namingKeySecret,
          passwordKeySecret,
          ...(egressAddresses ? { egressAddresses } : {}),
        });
      expect(() => build()).toThrow(
        /ProvisioningStack egressAddresses is required when provisioning:staticEgressIp is true/,
      );
      expect(build(stateful.egressAddresses).egress?.addresses).toEqual(stateful.egressAddresses);
    });
  });

  it('fails buildApp before creating any stack when the flag is not a boolean', () => {
    expect(() => buildApp({ bundle: false, context: { [ContextKeys.staticEgressIp]: 'on' } })).toThrow(
      /context provisioning:staticEgressIp must be true or false, got "on"/,
    );
  });
});

describe('EgressNetwork and EgressAddresses', () => {
  /**
   * The addresses in one stack and the network in another, as the app has them, in one bare app; the
   * assembly dir is removed at once.
   */
  const synthNetwork = (
    count: number,
    props: Omit<ConstructorParameters<typeof EgressNetwork>[2], 'addresses'>,
  ): { data: Template; net: Template } =>
    inBareApp((app) => {
      const dataStack = new Stack(app, 'Data');
      const netStack = new Stack(app, 'Net');
      const { addresses } = new EgressAddresses(dataStack, 'Egress', { count });
      new EgressNetwork(netStack, 'Egress', { ...props, addresses });
      return { data: Template.fromStack(dataStack), net: Template.fromStack(netStack) };
    });

  it('gives each of two NAT gateways its own AZ and its own retained Elastic IP from the other stack', () => {
    const { data, net } = synthNetwork(2, { logRetention: RetentionDays.ONE_WEEK });
    const eips = ofType(data.toJSON().Resources, 'AWS::EC2::EIP');
    const nats = ofType(net.toJSON().Resources, 'AWS::EC2::NatGateway');
    expect(eips).toHaveLength(2);
    for (const [, eip] of eips)
      expect([eip.DeletionPolicy, eip.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(ofType(net.toJSON().Resources, 'AWS::EC2::EIP')).toEqual([]);
    expect(
      nats
        .map(([, n]) => (imported(props(n).AllocationId, data) as { 'Fn::GetAtt': string[] })['Fn::GetAtt'])
        .sort(),
    ).toEqual(eips.map(([id]) => [id, 'AllocationId']).sort());
    expect(new Set(nats.map(([, n]) => text(n.Properties?.SubnetId))).size).toBe(2);
  });

  it('names each address after its stack, so the console shows what it is for', () => {
    const { data } = synthNetwork(2, { logRetention: RetentionDays.ONE_WEEK });
    const names = ofType(data.toJSON().Resources, 'AWS::EC2::EIP').map(
      ([, eip]) =>
        (props(eip).Tags as Array<{ Key: string; Value: string }>).find((t) => t.Key === 'Name')?.Value,
    );
    expect(names.sort()).toEqual(['Data-yay-egress-1', 'Data-yay-egress-2']);
  });

  it('opens one egress rule per distinct port, so a Yay base URL with its own port stays reachable', () => {
    const { net } = synthNetwork(1, {
      logRetention: RetentionDays.ONE_WEEK,
      egressPorts: [443, 8443, 443],
    });
    const [[, sg] = ['', {} as Resource]] = ofType(net.toJSON().Resources, 'AWS::EC2::SecurityGroup');
    const ports = (props(sg).SecurityGroupEgress as Array<{ FromPort: number }>).map((r) => r.FromPort);
    expect(ports).toEqual([443, 8443]);
  });

  it('rejects an address count other than 1 or 2, naming the prop', () => {
    expect(() => synthNetwork(3, { logRetention: RetentionDays.ONE_WEEK })).toThrow(
      /EgressAddresses count must be 1 or 2, got 3/,
    );
    expect(() =>
      inBareApp(
        (app) =>
          new EgressNetwork(new Stack(app, 'Net'), 'Egress', {
            addresses: [],
            logRetention: RetentionDays.ONE_WEEK,
          }),
      ),
    ).toThrow(/EgressNetwork addresses must be 1 or 2 \(one per NAT gateway\), got 0/);
  });
});
