import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmailTemplate, loadEmailTemplates, renderEmail } from '../../infra/email-templates';
import { ConfigInvalid } from '../../shared/errors';

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
