import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmailTemplates } from '../../../infra/email-templates';
import {
  listOutbox,
  localSesHandler,
  type OutboxMessage,
  sendEmailAccessRequests,
} from '../../../local/aws/ses';

describe('what SendEmail is authorized on', () => {
  it('asks SES for both identities of the sender, the configuration set and the template, with ses:FromAddress', () => {
    const requests = sendEmailAccessRequests({
      FromEmailAddress: 'Shop <noreply@shop.example>',
      Destination: { ToAddresses: ['buyer@example.com'] },
      ConfigurationSetName: 'set',
      Content: { Template: { TemplateName: 'welcome' } },
    });

    expect(requests.map((r) => r.resource)).toEqual([
      'arn:aws:ses:eu-west-2:000000000000:identity/noreply@shop.example',
      'arn:aws:ses:eu-west-2:000000000000:identity/shop.example',
      'arn:aws:ses:eu-west-2:000000000000:configuration-set/set',
      'arn:aws:ses:eu-west-2:000000000000:template/welcome',
    ]);
    expect(requests[0]?.context).toEqual({
      'ses:FromAddress': 'noreply@shop.example',
      'ses:FromDisplayName': 'Shop',
      'ses:Recipients': ['buyer@example.com'],
      'ses:ApiVersion': '2',
    });
  });
});

describe('local SES stand-in', () => {
  let outbox: string;
  let url: string;
  const accepted: OutboxMessage[] = [];
  const server = createServer((req, res) => void handler(req, res));
  let handler: ReturnType<typeof localSesHandler>;

  beforeAll(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'yay-outbox-'));
    handler = localSesHandler({
      outboxDir: outbox,
      templates: new Map([['YayWelcome', loadEmailTemplates().welcome]]),
      onAccepted: (message) => void accepted.push(message),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(outbox, { recursive: true, force: true });
  });
  const client = () =>
    new SESv2Client({
      endpoint: url,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });

  it("writes a templated SendEmail from the SDK as one .eml with SES's answer, delivering nothing", async () => {
    const out = await client().send(
      new SendEmailCommand({
        FromEmailAddress: 'Shop <noreply@shop.example>',
        Destination: { ToAddresses: ['ada@example.com'] },
        ConfigurationSetName: 'yay',
        EmailTags: [{ Name: 'kind', Value: 'welcome' }],
        Content: {
          Template: {
            TemplateName: 'YayWelcome',
            TemplateData: JSON.stringify({
              firstName: 'Ada',
              loginUrl: 'https://x',
              loginName: 'c1',
              password: 'pw-1',
            }),
          },
        },
      }),
    );

    const [message, ...others] = listOutbox(outbox);
    expect(others).toEqual([]);
    expect(message).toMatchObject({
      messageId: out.MessageId,
      from: 'Shop <noreply@shop.example>',
      to: ['ada@example.com'],
      subject: 'Your calling account is ready',
      configurationSet: 'yay',
      tags: { kind: 'welcome' },
    });
    const eml = readFileSync(message?.file as string, 'utf8');
    expect(eml).toMatch(/^From: Shop <noreply@shop\.example>\r\nTo: ada@example\.com\r\nSubject: /);
    expect(eml).toContain('Content-Type: text/plain; charset=UTF-8');
    expect(eml).toContain('Password:   pw-1');
    expect(accepted.map((m) => m.messageId)).toEqual([out.MessageId]);
  });

  it('answers NotFoundException, writing nothing, for a template it does not have', async () => {
    const before = listOutbox(outbox).length;

    await expect(
      client().send(
        new SendEmailCommand({
          FromEmailAddress: 'noreply@shop.example',
          Destination: { ToAddresses: ['ada@example.com'] },
          Content: { Template: { TemplateName: 'Nope', TemplateData: '{}' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(listOutbox(outbox)).toHaveLength(before);
  });
});
