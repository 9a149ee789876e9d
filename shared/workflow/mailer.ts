import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import type { EmailKind } from '../store/email-repository';

/** One buyer e-mail: which template, to whom, its variables and the SES tags that let its events find it. */
export interface OutgoingEmail {
  template: EmailKind;
  to: string;
  /** The template's variables (TemplateData). Holds the password for a welcome: never log it. */
  data: Readonly<Record<string, string>>;
  /** SES message tags: names and values of `[A-Za-z0-9_-]`, at most 256 characters each. */
  tags: Readonly<Record<string, string>>;
}

/** A send SES refused for good (the identity, the address, the template): no retry changes it. */
export class EmailRefused extends Error {
  override readonly name = 'EmailRefused';
}

/** A send that may work later (a throttle, a timeout, SES unavailable, sending paused): retried. */
export class EmailDeferred extends Error {
  override readonly name = 'EmailDeferred';
}

/** Sends buyer e-mails; resolves with the provider's message id. Throws {@link EmailRefused} or {@link EmailDeferred}. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<string>;
}

export interface SesMailerOptions {
  /** The From, as SES takes it: `noreply@shop.example` or `Shop <noreply@shop.example>`. */
  sender: string;
  configurationSet: string;
  /** Template kind → the SES template's name. */
  templates: Readonly<Record<EmailKind, string>>;
}

/**
 * SES answers that mean the account or the request is wrong, not that SES is busy: a person must act (verify the
 * identity, leave the sandbox, fix the template) before a resend can work.
 */
const REFUSALS = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'BadRequestException',
  'NotFoundException',
]);

/**
 * Amazon SES v2 `SendEmail` with a stored template (the CDK app's `AWS::SES::Template`), the configuration set
 * whose SEND events reach notify, and the tags those events carry back. The error says what SES answered by name
 * and never holds the template data.
 */
export function sesMailer(client: SESv2Client, options: SesMailerOptions): Mailer {
  return {
    async send(email) {
      try {
        const out = await client.send(
          new SendEmailCommand({
            FromEmailAddress: options.sender,
            Destination: { ToAddresses: [email.to] },
            Content: {
              Template: {
                TemplateName: options.templates[email.template],
                TemplateData: JSON.stringify(email.data),
              },
            },
            ConfigurationSetName: options.configurationSet,
            EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
          }),
        );
        if (!out.MessageId) throw new EmailDeferred('SES answered without a MessageId');
        return out.MessageId;
      } catch (error) {
        throw classifySesError(error);
      }
    },
  };
}

/** A send's error as refused (final) or deferred (retried); anything unrecognised is deferred, never dropped. */
export function classifySesError(error: unknown): EmailRefused | EmailDeferred {
  if (error instanceof EmailRefused || error instanceof EmailDeferred) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const described = `${name}: ${message}`.slice(0, 300);
  const sdk = error as Parameters<typeof isTransientError>[0];
  if (error instanceof Error && (isThrottlingError(sdk) || isTransientError(sdk) || isServerError(sdk))) {
    return new EmailDeferred(described, { cause: error });
  }
  if (REFUSALS.has(name)) return new EmailRefused(described, { cause: error });
  // SendingPausedException, LimitExceededException, a network error: SES may take it later.
  return new EmailDeferred(described, { cause: error });
}
