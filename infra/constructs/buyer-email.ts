import { Duration, Stack } from 'aws-cdk-lib';
import { EventBus, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import {
  CfnTemplate,
  ConfigurationSet,
  ConfigurationSetEventDestination,
  ConfigurationSetTlsPolicy,
  EmailSendingEvent,
  EventDestination,
  type IConfigurationSet,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { EnvName } from '../../shared/config';
import { OUTBOUND_SOURCE, OutboundDetailTypes } from '../../shared/domain/outbound-events';
import { SES_DETAIL_TYPES } from '../../shared/workflow/notify';
import type { EmailSender } from '../config';
import type { EmailTemplateName, EmailTemplateParts } from '../email-templates';
import { DeadLetterQueue } from './dead-letter-queue';
import { scheduleRole } from './schedules';

/** Props of {@link BuyerEmail}. */
export interface BuyerEmailProps {
  /** The function that sends the e-mails and settles SES's events about them. */
  readonly notify: LambdaFn;
  /** The provisioning bus, where `Customer Created` and `Credit Transferred` are published. */
  readonly bus: IEventBus;
  readonly sender: EmailSender;
  /** An existing configuration set to send with. @default one of the stack's own, `<stack>-email` */
  readonly configurationSetName?: string;
  /** The templates as `loadEmailTemplates()` read and checked them. */
  readonly templates: Readonly<Record<EmailTemplateName, EmailTemplateParts>>;
  /** Sign-in addresses: the default (`yay:storeLoginUrl`) and the stores' own. */
  readonly loginUrls: { readonly default: string; readonly stores: Readonly<Record<string, string>> };
}

/**
 * The buyer e-mails through SES v2, wired to notify: the two SES templates (from infra/email), the configuration set
 * and its event destination on the default bus (SES publishes nowhere else), the rules that bring notify the facts
 * to mail and SES's word on what it sent, the retry schedule, and the one grant that lets notify send — from the
 * configured address only. Only exists while `provisioning:emailSender` is set.
 */
export class BuyerEmail extends Construct {
  /** Where notify's undeliverable and failed events go (both rules, the schedule, Lambda's own retries). */
  readonly deadLetters: DeadLetterQueue;
  readonly configurationSetName: string;
  /** Template kind → SES template name. */
  readonly templateNames: Readonly<Record<EmailTemplateName, string>>;
  readonly retrySchedule: Schedule;

  constructor(scope: Construct, id: string, props: BuyerEmailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { notify, sender } = props;

    // Plain names, not references: notify's environment and the SES rule's pattern then read the same in the
    // template as at run time, and local mode takes them from the template as they are.
    this.templateNames = {
      welcome: `${stack.stackName}-welcome`,
      receipt: `${stack.stackName}-receipt`,
    };
    for (const [kind, name] of Object.entries(this.templateNames) as [EmailTemplateName, string][]) {
      const parts = props.templates[kind];
      new CfnTemplate(this, `${kind === 'welcome' ? 'Welcome' : 'Receipt'}Template`, {
        template: {
          templateName: name,
          subjectPart: parts.subject,
          textPart: parts.text,
          htmlPart: parts.html,
        },
      });
    }

    let configurationSet: IConfigurationSet;
    if (props.configurationSetName) {
      this.configurationSetName = props.configurationSetName;
      configurationSet = ConfigurationSet.fromConfigurationSetName(
        this,
        'ConfigurationSet',
        props.configurationSetName,
      );
    } else {
      this.configurationSetName = `${stack.stackName}-email`;
      configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
        configurationSetName: this.configurationSetName,
        // The welcome carries a store password: never in clear between SES and the buyer's mail server.
        tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      });
    }
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    new ConfigurationSetEventDestination(this, 'EventsToDefaultBus', {
      configurationSet,
      destination: EventDestination.eventBus(defaultBus),
      // SEND settles an attempt's marker; RENDERING_FAILURE marks it failed. Nothing else is acted on.
      events: [EmailSendingEvent.SEND, EmailSendingEvent.RENDERING_FAILURE],
    });

    this.deadLetters = new DeadLetterQueue(this, 'DeadLetters');
    const target = () =>
      new LambdaFunction(notify, {
        deadLetterQueue: this.deadLetters.queue,
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
      });
    new Rule(this, 'OutcomesToNotify', {
      description: 'A new customer gets the welcome e-mail, a later top-up a receipt',
      eventBus: props.bus,
      eventPattern: {
        source: [OUTBOUND_SOURCE],
        detailType: [OutboundDetailTypes.customerCreated, OutboundDetailTypes.creditTransferred],
      },
      targets: [target()],
    });
    new Rule(this, 'SesEventsToNotify', {
      description: "SES's events about this stack's e-mails settle or fail their attempts",
      eventBus: defaultBus,
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...SES_DETAIL_TYPES],
        // Every app's SES events land on the default bus: only those sent with our configuration set are ours.
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSetName] } } },
      },
      targets: [target()],
    });

    this.retrySchedule = new Schedule(this, 'RetryEmails', {
      description: 'Sends again the buyer e-mails that were not sent, or whose attempt never finished',
      schedule: ScheduleExpression.rate(Duration.minutes(10)),
      target: new LambdaInvoke(notify, {
        role: scheduleRole(this, 'RetryEmailsRole', notify),
        input: ScheduleTargetInput.fromObject({
          job: 'retry-emails',
          scheduledTime: ContextAttribute.scheduledTime,
        }),
        retryAttempts: 3,
        // A missed run is harmless: the next one, ten minutes later, does the same work.
        maxEventAge: Duration.minutes(10),
        deadLetterQueue: this.deadLetters.queue,
      }),
    });

    // Only notify sends, only as the configured address, only with this configuration set and these templates.
    // The reseller verifies either the address or its whole domain in SES: SES checks whichever identity exists.
    const ses = (resource: string, name: string) =>
      stack.formatArn({ service: 'ses', resource, resourceName: name });
    notify.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          ses('identity', sender.address),
          ses('identity', sender.domain),
          ses('configuration-set', this.configurationSetName),
          ...Object.values(this.templateNames).map((name) => ses('template', name)),
        ],
        conditions: { StringEquals: { 'ses:FromAddress': sender.address } },
      }),
    );

    const environment: Partial<Record<EnvName, string>> = {
      EMAIL_SENDER: sender.from,
      EMAIL_CONFIGURATION_SET: this.configurationSetName,
      EMAIL_TEMPLATES: JSON.stringify(this.templateNames),
      STORE_LOGIN_URL: props.loginUrls.default,
      STORE_LOGIN_URLS: JSON.stringify(props.loginUrls.stores),
    };
    for (const [name, value] of Object.entries(environment)) notify.addEnvironment(name, value);
  }
}
