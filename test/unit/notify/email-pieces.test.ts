import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmailTemplate, loadEmailTemplates, renderEmail } from '../../../infra/email-templates';
import { listOutbox, localSesHandler, type OutboxMessage } from '../../../local/aws/ses';
import { ConfigInvalid } from '../../../shared/errors';
import { openPassword, passwordKey, sealPassword } from '../../../shared/yay/password-box';

const KEY_SECRET = 'test-only-password-key-not-a-secret-0123456789';

describe('password box', () => {
  const key = passwordKey(KEY_SECRET);

  it('opens what it sealed for the same customer, and the sealed text does not show the password', () => {
    const sealed = sealPassword('S3cret-pass.word', key, 'cabc');

    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('S3cret');
    expect(openPassword(sealed, key, 'cabc')).toBe('S3cret-pass.word');
  });

  it('refuses a sealed password moved onto another customer, or opened with another key, naming no content', () => {
    const sealed = sealPassword('S3cret-pass.word', key, 'cabc');

    expect(() => openPassword(sealed, key, 'cxyz')).toThrow(
      'sealed password: does not open with this key for this customer',
    );
    expect(() => openPassword(sealed, passwordKey(`${KEY_SECRET}-other`), 'cabc')).toThrow(/does not open/);
    expect(() => openPassword('v2.abc', key, 'cabc')).toThrow(/unknown format/);
  });
});

describe('email templates', () => {
  it('loads the shipped templates and renders the welcome with every part filled', () => {
    const { welcome } = loadEmailTemplates();

    const rendered = renderEmail(welcome, {
      firstName: 'Ada',
      loginUrl: 'https://calls.example.com/login',
      loginName: 'c7x',
      password: 'p<a&ss>',
      credit: '10.000',
    });

    expect(rendered.subject).toBe('Your calling account is ready');
    expect(rendered.text).toContain('Login name: c7x');
    expect(rendered.text).toContain('Password:   p<a&ss>');
    // The HTML part is escaped as SES escapes it.
    expect(rendered.html).toContain('<code>p&lt;a&amp;ss&gt;</code>');
    expect(rendered.text).toContain('with 10.000 of credit');
  });

  it('leaves out what a template guards with #if when the value is absent (a receipt without a balance)', () => {
    const { receipt } = loadEmailTemplates();

    const text = renderEmail(receipt, {
      firstName: 'Ada',
      credit: '10.000',
      loginUrl: 'u',
      loginName: 'n',
    }).text;

    expect(text).toContain('We have added 10.000 of credit to your calling account.');
    expect(text).not.toContain('balance');
  });

  describe('a reseller edit', () => {
    let folder: string;
    const write = (files: Record<string, string>) => {
      const base = {
        'welcome.subject.txt': 'Hi',
        'welcome.txt': '{{loginUrl}} {{loginName}} {{password}}',
        'welcome.html': '<p>{{loginUrl}}</p>',
      };
      for (const [name, text] of Object.entries({ ...base, ...files }))
        writeFileSync(join(folder, name), text);
      return pathToFileURL(`${folder}/`);
    };
    beforeAll(() => {
      folder = mkdtempSync(join(tmpdir(), 'yay-templates-'));
    });
    afterAll(() => rmSync(folder, { recursive: true, force: true }));

    it('fails the synth naming the file and the variable when a template uses one it is not given', () => {
      const url = write({ 'welcome.html': '<p>{{loginUrll}}</p>' });

      expect(() => loadEmailTemplate('welcome', url)).toThrow(ConfigInvalid);
      expect(() => loadEmailTemplate('welcome', url)).toThrow(
        /infra\/email\/welcome\.html uses \{\{loginUrll\}\}, which it is not given/,
      );
    });

    it('fails naming the file when a block is broken, and when the welcome text drops the password', () => {
      expect(() => loadEmailTemplate('welcome', write({ 'welcome.html': '{{#if credit}}<p>' }))).toThrow(
        /infra\/email\/welcome\.html does not parse/,
      );
      expect(() =>
        loadEmailTemplate('welcome', write({ 'welcome.txt': '{{loginUrl}} {{loginName}}' })),
      ).toThrow('email template infra/email/welcome.txt must show {{password}}');
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
