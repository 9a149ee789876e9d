import { readFileSync, rmSync } from 'node:fs';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type InfraConfig, loadInfraConfig } from './config';
import { ProvisioningStack } from './stacks/provisioning-stack';
import { StatefulStack } from './stacks/stateful-stack';

/** Stack ids (and CloudFormation stack names): never change once deployed. */
export const StackIds = {
  stateful: 'YayProvisioningData',
  provisioning: 'YayProvisioning',
} as const;

/**
 * The `context` block of cdk.json. The CDK CLI passes it to the app itself; an in-process synth (local
 * mode, tests) has no CLI, so buildApp reads it here as the base layer.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** True: esbuild bundles per function (deploy, `npx cdk synth`). False: inline placeholders (local mode, tests). */
  readonly bundle: boolean;
  /** Context on top of cdk.json's (the CLI's `-c` values still win: they arrive through the environment). */
  readonly context?: Record<string, unknown>;
  /**
   * Context that wins over everything, `CDK_CONTEXT_JSON` included. For local mode, which has no CLI to merge
   * its layers (its defaults, `CDK_CONTEXT_JSON` from the environment it was given, `-c`) and so merges them
   * itself. @default none
   */
  readonly finalContext?: Record<string, unknown>;
  /** Cloud assembly directory. @default CDK's (`CDK_OUTDIR` from the CLI, else a temp dir) */
  readonly outdir?: string;
}

/**
 * Builds the CDK app: the stateful stack (table, bus, secrets, egress IPs) and the provisioning stack
 * (functions, workflow, API, schedules, alarms), with cdk-nag's AwsSolutions pack as a validation plugin.
 * Context is validated first, so a bad key fails here with a message naming it. Stacks are
 * environment-agnostic: synth needs no AWS account and does no lookups.
 */
export function buildApp(options: BuildAppOptions): {
  app: App;
  stateful: StatefulStack;
  provisioning: ProvisioningStack;
} {
  const app = new App({
    // The built-in CloudFormation schema check costs ~3 s per synth: worth it before a deploy, not for
    // local mode's in-process synth or the unit tests (which assert the template themselves).
    builtinCloudFormationValidation: options.bundle,
    context: { ...cdkJsonContext(), ...options.context },
    ...(options.finalContext ? { postCliContext: options.finalContext } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  let config: InfraConfig;
  try {
    config = loadInfraConfig((key) => app.node.tryGetContext(key));
  } catch (error) {
    // Bad input leaves no trace: drop the empty temp assembly dir the App made for itself.
    if (!options.outdir && !process.env.CDK_OUTDIR) rmSync(app.outdir, { recursive: true, force: true });
    throw error;
  }

  const stateful = new StatefulStack(app, StackIds.stateful, {
    description: 'Yay provisioning: orders table, event bus and archive, secrets (retained on delete)',
    config,
  });
  const provisioning = new ProvisioningStack(app, StackIds.provisioning, {
    description:
      'Yay provisioning: Lambdas, CustomerProvisioning state machine, webhook API, schedules, alarms',
    config,
    bundle: options.bundle,
    table: stateful.table,
    bus: stateful.bus,
    yaySecret: stateful.yaySecret,
    webhookSecret: stateful.webhookSecret,
    namingKeySecret: stateful.namingKeySecret,
    passwordKeySecret: stateful.passwordKeySecret,
    // Empty unless provisioning:staticEgressIp: the Elastic IPs live (retained) with the data.
    egressAddresses: stateful.egressAddresses,
  });
  provisioning.addStackDependency(stateful);

  // Cost allocation and ownership at a glance in the console and the bill.
  Tags.of(app).add('project', 'yay-provisioning');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, provisioning };
}
