import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { ConfigInvalid } from '../shared/errors';

/**
 * The buyer e-mails, as SES templates the reseller edits: `infra/email/<name>.subject.txt`, `<name>.txt` and
 * `<name>.html`, in SES's template language (Handlebars: `{{variable}}`, `{{#if variable}}…{{/if}}`). Read and
 * checked at synth, so a typo in a variable or a broken block fails the synth naming the file, instead of an
 * e-mail going out with a blank where the password should be.
 */
export const EmailTemplateNames = ['welcome', 'receipt'] as const;
export type EmailTemplateName = (typeof EmailTemplateNames)[number];

export interface EmailTemplateParts {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The variables each template is given (TemplateData), and those its text part must use. */
export const EmailTemplateVariables: Readonly<
  Record<EmailTemplateName, { readonly allowed: readonly string[]; readonly required: readonly string[] }>
> = {
  welcome: {
    allowed: ['firstName', 'lastName', 'name', 'credit', 'loginUrl', 'loginName', 'password', 'orderId'],
    required: ['loginUrl', 'loginName', 'password'],
  },
  receipt: {
    allowed: ['firstName', 'lastName', 'name', 'credit', 'balance', 'loginUrl', 'loginName', 'orderId'],
    required: ['credit'],
  },
};

const FOLDER = new URL('./email/', import.meta.url);
const PARTS = { subject: 'subject.txt', text: 'txt', html: 'html' } as const;

/** Every `{{name}}` / `{{#if name}}` a template refers to. */
function variablesOf(source: string, file: string): Set<string> {
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    throw new ConfigInvalid(
      `email template ${file} does not parse: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as { type?: string; original?: string; parts?: string[] };
    if (
      n.type === 'PathExpression' &&
      n.original &&
      !['if', 'unless', 'each', 'with', 'else'].includes(n.original)
    ) {
      found.add(n.original);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(program);
  return found;
}

/** Reads and checks one template's three parts; throws ConfigInvalid naming the file and the variable. */
export function loadEmailTemplate(name: EmailTemplateName, folder: URL = FOLDER): EmailTemplateParts {
  const rules = EmailTemplateVariables[name];
  const read = (part: keyof typeof PARTS) => {
    const file = `${name}.${PARTS[part]}`;
    let source: string;
    try {
      source = readFileSync(new URL(file, folder), 'utf8');
    } catch {
      throw new ConfigInvalid(`email template infra/email/${file} is missing`);
    }
    if (source.trim() === '') throw new ConfigInvalid(`email template infra/email/${file} is empty`);
    const used = variablesOf(source, `infra/email/${file}`);
    for (const variable of used) {
      if (!rules.allowed.includes(variable)) {
        throw new ConfigInvalid(
          `email template infra/email/${file} uses {{${variable}}}, which it is not given (it may use: ${rules.allowed.join(', ')})`,
        );
      }
    }
    return { source, used };
  };
  const subject = read('subject');
  const text = read('text');
  const html = read('html');
  for (const variable of rules.required) {
    if (!text.used.has(variable)) {
      throw new ConfigInvalid(`email template infra/email/${name}.txt must show {{${variable}}}`);
    }
  }
  return { subject: subject.source.trim(), text: text.source, html: html.source };
}

/** Both templates, checked. */
export function loadEmailTemplates(folder?: URL): Readonly<Record<EmailTemplateName, EmailTemplateParts>> {
  return { welcome: loadEmailTemplate('welcome', folder), receipt: loadEmailTemplate('receipt', folder) };
}

/**
 * Renders a template as SES does (Handlebars; the HTML part escaped, the text and subject not), for local mode's
 * SES stand-in and the tests.
 */
export function renderEmail(parts: EmailTemplateParts, data: Record<string, unknown>) {
  const plain = (source: string) => Handlebars.compile(source, { noEscape: true, strict: false })(data);
  return {
    subject: plain(parts.subject),
    text: plain(parts.text),
    html: Handlebars.compile(parts.html, { strict: false })(data),
  };
}
