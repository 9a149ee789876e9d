import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type EmailTemplateParts, renderEmail } from '../../infra/email-templates';
import type { AccessCheck, AccessRequest } from '../iam/access';
import { readRequestBody } from './aws-json';
import { formatEml, type OutboxMessage, readOutboxMessage } from './outbox';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './template/types';

export { listOutbox, type OutboxMessage, readOutboxMessage } from './outbox';

/**
 * Amazon SES v2 `SendEmail` for local mode: renders the templated message as SES would (the app's own templates,
 * taken from the synthesized template) and writes it to `<dataDir>/outbox/` as one RFC 5322 `.eml` file — it
 * delivers nothing. The file is written (and renamed into place) before SES answers, so an accepted message is
 * on disk whatever happens next; `onAccepted` then tells local mode, as SES's event publishing tells EventBridge.
 */
export interface LocalSesOptions {
  readonly outboxDir: string;
  /** Template name → its parts (the AWS::SES::Template resources of the template). */
  readonly templates: ReadonlyMap<string, EmailTemplateParts>;
  /** Called once per accepted message, after its file is in place. */
  readonly onAccepted?: (message: OutboxMessage) => void | Promise<void>;
  /**
   * Called with each SendEmail before anything is written: may hold it (a test's gate) or throw a
   * {@link LocalSesError} for SES to answer instead (a refusal, a throttle).
   */
  readonly beforeSend?: (request: {
    to: string[];
    template: string;
    tags: Record<string, string>;
  }) => void | Promise<void>;
  /** Holds of the `/__local/ses/…` control routes (local mode's fault injection, like the Yay sandbox's). */
  readonly holds?: SesHolds;
  /** IAM enforcement ({@link sendEmailAccessRequests}); a denied send answers 403 AccessDeniedException. @default none */
  readonly access?: AccessCheck;
}

/** The parts of a SendEmail request IAM looks at. */
export interface SendEmailRequest {
  readonly FromEmailAddress?: string;
  readonly Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  readonly Content?: { Template?: { TemplateName?: string; TemplateData?: string } };
  readonly ConfigurationSetName?: string;
  readonly EmailTags?: Array<{ Name?: string; Value?: string }>;
}

/**
 * What IAM authorizes an SES v2 SendEmail on: the sending identity, the configuration set and the template, each
 * an `ses:SendEmail` on its ARN, with `ses:FromAddress` (the bare address of FromEmailAddress),
 * `ses:FromDisplayName`, `ses:Recipients` and `ses:ApiVersion` in the condition context.
 *
 * SES authorizes the identity that is verified — the address if it is, else its domain — and local mode cannot
 * know which one the deployer verifies: it asks for both, so a grant passes here only if it works either way.
 */
export function sendEmailAccessRequests(input: SendEmailRequest): AccessRequest[] {
  const from = input.FromEmailAddress ?? '';
  const angle = /^(.*)<([^>]+)>\s*$/.exec(from);
  const address = (angle ? (angle[2] as string) : from).trim();
  const displayName = angle ? (angle[1] as string).trim().replace(/^"(.*)"$/, '$1') : '';
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const arn = (resource: string) => `arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
  const destination = input.Destination ?? {};
  const context = {
    'ses:FromAddress': address,
    ...(displayName ? { 'ses:FromDisplayName': displayName } : {}),
    'ses:Recipients': [
      ...(destination.ToAddresses ?? []),
      ...(destination.CcAddresses ?? []),
      ...(destination.BccAddresses ?? []),
    ],
    'ses:ApiVersion': '2',
  };
  const resources = [
    arn(`identity/${address}`),
    ...(domain && domain !== address ? [arn(`identity/${domain}`)] : []),
    ...(input.ConfigurationSetName ? [arn(`configuration-set/${input.ConfigurationSetName}`)] : []),
    ...(input.Content?.Template?.TemplateName
      ? [arn(`template/${input.Content.Template.TemplateName}`)]
      : []),
  ];
  return resources.map((resource) => ({ action: 'ses:SendEmail', resource, context }));
}

/** Where a held SendEmail waits: before anything is written, with its file in the outbox, or after its event. */
export const SesHoldPoints = ['before-accept', 'after-file', 'after-event'] as const;
export type SesHoldPoint = (typeof SesHoldPoints)[number];

/**
 * Fault injection for tests that kill local mode mid-send (test/e2e/restart.test.ts): `hold(point)` makes the
 * next SendEmail wait at that point until `release()`; `held` counts the sends waiting. Reached over loopback
 * with `POST /__local/ses/hold {"at":"…"}`, `GET /__local/ses/held`, `POST /__local/ses/release`.
 */
export class SesHolds {
  private next: SesHoldPoint | undefined;
  private waiting: Array<() => void> = [];

  hold(point: SesHoldPoint): void {
    this.next = point;
  }

  get held(): number {
    return this.waiting.length;
  }

  release(): void {
    for (const resume of this.waiting.splice(0)) resume();
  }

  /** Waits here when the next send was to be held at `point` (once). */
  async at(point: SesHoldPoint): Promise<void> {
    if (this.next !== point) return;
    this.next = undefined;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

/** An error answered as SES answers it: its type in `x-amzn-errortype`, which the SDK turns into the error name. */
export class LocalSesError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * The stand-in's HTTP handler (SES v2 is REST JSON: `POST /v2/email/outbound-emails`). Only templated sends are
 * served — the only kind the handlers make; anything else answers an error a test would notice.
 */
export function localSesHandler(options: LocalSesOptions) {
  mkdirSync(options.outboxDir, { recursive: true });
  let sequence = 0;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const reply = (status: number, body: unknown, errorType?: string) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(text);
    };
    try {
      const path = new URL(req.url ?? '/', 'http://ses').pathname;
      const holds = options.holds;
      if (holds && path.startsWith('/__local/ses/')) {
        if (req.method === 'GET' && path === '/__local/ses/held') return reply(200, { held: holds.held });
        if (req.method === 'POST' && path === '/__local/ses/release') {
          holds.release();
          return reply(200, { released: true });
        }
        if (req.method === 'POST' && path === '/__local/ses/hold') {
          const body = JSON.parse((await readRequestBody(req, 1024))?.toString('utf8') || '{}') as {
            at?: string;
          };
          const point = SesHoldPoints.find((p) => p === body.at);
          if (!point)
            throw new LocalSesError('BadRequestException', `"at" must be one of ${SesHoldPoints.join(', ')}`);
          holds.hold(point);
          return reply(200, { holding: point });
        }
      }
      if (req.method !== 'POST' || path !== '/v2/email/outbound-emails') {
        throw new LocalSesError(
          'NotFoundException',
          `the local SES serves only SendEmail, not ${req.method} ${path}`,
          404,
        );
      }
      const raw = await readRequestBody(req, 1024 * 1024);
      if (!raw) throw new LocalSesError('BadRequestException', 'request too large');
      const input = JSON.parse(raw.toString('utf8')) as SendEmailRequest;
      const denial = options.access?.(req, sendEmailAccessRequests(input));
      // SES v2 is REST: an IAM denial is a 403, before anything about the message is looked at.
      if (denial) throw new LocalSesError('AccessDeniedException', denial.message, 403);
      const template = input.Content?.Template;
      if (!template?.TemplateName)
        throw new LocalSesError('BadRequestException', 'only templated e-mail is served locally');
      const parts = options.templates.get(template.TemplateName);
      if (!parts)
        throw new LocalSesError(
          'NotFoundException',
          `Template ${template.TemplateName} does not exist.`,
          404,
        );
      const to = input.Destination?.ToAddresses ?? [];
      if (!input.FromEmailAddress || to.length === 0) {
        throw new LocalSesError(
          'BadRequestException',
          'FromEmailAddress and Destination.ToAddresses are required',
        );
      }
      const tags = Object.fromEntries(
        (input.EmailTags ?? []).filter((t) => t.Name && t.Value).map((t) => [t.Name, t.Value]),
      ) as Record<string, string>;
      await options.beforeSend?.({ to, template: template.TemplateName, tags });
      await options.holds?.at('before-accept');
      const data = JSON.parse(template.TemplateData ?? '{}') as Record<string, unknown>;
      const rendered = renderEmail(parts, data);
      const messageId = `${Date.now().toString(36)}-${randomUUID()}`;
      const date = new Date();
      const name = `${date.toISOString().replace(/[:.]/g, '-')}-${String(sequence++).padStart(4, '0')}-${messageId}.eml`;
      const file = join(options.outboxDir, name);
      // Written aside, then renamed into place: the outbox never shows half a message.
      // Off the main thread (the write and its flush run in libuv's pool): a send does not stall local mode.
      await writeFile(
        `${file}.part`,
        formatEml({
          messageId,
          from: input.FromEmailAddress,
          to,
          ...rendered,
          date,
          tags,
          ...(input.ConfigurationSetName ? { configurationSet: input.ConfigurationSetName } : {}),
        }),
        { flush: true },
      );
      await rename(`${file}.part`, file);
      await options.holds?.at('after-file');
      await options.onAccepted?.(readOutboxMessage(file));
      await options.holds?.at('after-event');
      reply(200, { MessageId: messageId });
    } catch (error) {
      if (error instanceof LocalSesError) reply(error.status, { message: error.message }, error.type);
      else reply(500, { message: 'internal error' }, 'InternalFailure');
    }
  };
}

/**
 * The detail of the "Email Sent" event SES publishes to the default bus for a message sent with a configuration
 * set that has an EventBridge destination (the `mail` object of SES event publishing): what local mode puts on
 * its default bus once a message is in the outbox.
 */
export function sesSendEventDetail(message: OutboxMessage): Record<string, unknown> {
  const tags: Record<string, string[]> = Object.fromEntries(
    Object.entries(message.tags).map(([name, value]) => [name, [value]]),
  );
  if (message.configurationSet) tags['ses:configuration-set'] = [message.configurationSet];
  tags['ses:operation'] = ['SendEmail'];
  return {
    eventType: 'Send',
    mail: {
      timestamp: new Date(message.date).toISOString(),
      source: message.from,
      messageId: message.messageId,
      destination: message.to,
      tags,
    },
    send: {},
  };
}
