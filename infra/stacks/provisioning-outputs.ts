import { CfnOutput, Fn } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { yaySettingsEnv } from '../../shared/yay/settings';
import { configuredStoreFronts } from '../config';
import type { FunctionName } from '../names';
import type { ProvisioningStack, ProvisioningStackProps } from './provisioning-stack';
import { EGRESS_IP_DESCRIPTION } from './stateful-stack';

/** The stack's outputs: what the ops CLI (`--aws`) and a person deploying read back. */
export function addProvisioningOutputs(stack: ProvisioningStack, props: ProvisioningStackProps): void {
  const { config, table, bus, yaySecret, webhookSecret, namingKeySecret, passwordKeySecret } = props;
  const stateMachine = stack.workflow.stateMachine;
  const fn = (name: FunctionName): IFunction => stack.functions[name].fn;
  new CfnOutput(stack, 'ApiUrl', {
    value: stack.api.url,
    description: 'Base URL of POST /webhooks/<provider>',
  });
  new CfnOutput(stack, 'StateMachineArn', { value: stateMachine.stateMachineArn });
  new CfnOutput(stack, 'TableName', { value: table.tableName });
  new CfnOutput(stack, 'EventBusName', { value: bus.eventBusName });
  new CfnOutput(stack, 'YaySecretArn', { value: yaySecret.secretArn });
  new CfnOutput(stack, 'WebhookSecretArn', { value: webhookSecret.secretArn });
  new CfnOutput(stack, 'NamingKeySecretArn', { value: namingKeySecret.secretArn });
  new CfnOutput(stack, 'PasswordKeySecretArn', { value: passwordKeySecret.secretArn });
  new CfnOutput(stack, 'AlarmTopicArn', { value: stack.monitoring.topic.topicArn });
  new CfnOutput(stack, 'StoreFronts', {
    value: JSON.stringify(configuredStoreFronts(config)),
    description:
      'Yay store fronts new customers go under, {"default":"<uuid>","stores":{"<store id>":"<uuid>"}}: ' +
      "ops yay-check --aws checks each is one of the account's",
  });
  new CfnOutput(stack, 'YaySettings', {
    value: JSON.stringify(yaySettingsEnv(config.yaySettings)),
    description:
      "The Yay functions' balance path, history path and credit allocation settings that differ from the " +
      'defaults, as environment variables ({} for none): ops yay-check --aws reports them',
  });
  new CfnOutput(stack, 'NotifyFunctionName', {
    value: fn('notify').functionName,
    description: 'The buyer e-mail function: ops resend-welcome --aws invokes it (lambda:InvokeFunction)',
  });
  new CfnOutput(stack, 'OutboundEventsLogGroup', {
    value: stack.outboundEvents.logGroup.logGroupName,
    description: 'Every outbound event as published: ops events --aws reads it (logs:FilterLogEvents)',
  });
  if (config.emailSender) {
    new CfnOutput(stack, 'EmailSender', {
      value: config.emailSender.address,
      description: 'The From address of the buyer e-mails: verify it, or its domain, in SES',
    });
  }
  if (stack.egress) {
    // Also here, though the addresses are the stateful stack's: the ops CLI reads this stack's outputs.
    new CfnOutput(stack, 'YayEgressIp', {
      value: Fn.join(
        ', ',
        stack.egress.addresses.map((address) => address.publicIp),
      ),
      description: EGRESS_IP_DESCRIPTION,
    });
  }
}
