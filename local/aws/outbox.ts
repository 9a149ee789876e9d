/**
 * The SES stand-in's outbox: one RFC 5322 `.eml` file per accepted message, written by ses.ts and read back by
 * `ops outbox`, the demo and the tests. Apart from the stand-in so that a reader loads neither the e-mail templates
 * nor the IAM check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One message of the outbox, as `ops outbox` lists it. */
export interface OutboxMessage {
  messageId: string;
  file: string;
  from: string;
  to: string[];
  subject: string;
  date: string;
  configurationSet?: string;
  /** SES message tags (`EmailTags`), e.g. `kind`, `attempt`, `order`. */
  tags: Record<string, string>;
}

/** RFC 2047 encoded-word for a header that is not plain ASCII. */
function headerText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** The message as the outbox keeps it: headers (SES's tags among them), a text and an HTML part. */
export function formatEml(input: {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  date: Date;
  configurationSet?: string;
  tags: Record<string, string>;
}): string {
  const boundary = `=_yay_${input.messageId}`;
  const lines = [
    `From: ${headerText(input.from)}`,
    `To: ${input.to.map(headerText).join(', ')}`,
    `Subject: ${headerText(input.subject)}`,
    `Date: ${input.date.toUTCString()}`,
    `Message-ID: <${input.messageId}@local.yay-provisioning>`,
    'MIME-Version: 1.0',
    ...(input.configurationSet ? [`X-SES-Configuration-Set: ${input.configurationSet}`] : []),
    `X-SES-Message-Tags: ${Object.entries(input.tags)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ')}`,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    input.text,
    `--${boundary}`,
    'Content-Type: text/html; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    input.html,
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n');
}

/** Reads the headers `ops outbox` shows back from an outbox file. */
export function readOutboxMessage(file: string): OutboxMessage {
  const text = readFileSync(file, 'utf8');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const decode = (value = '') =>
    value.replace(/=\?UTF-8\?B\?([^?]+)\?=/g, (_, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
  const tags: Record<string, string> = {};
  for (const pair of (headers.get('x-ses-message-tags') ?? '').split(';')) {
    const [k, v] = pair.trim().split('=');
    if (k && v !== undefined) tags[k] = v;
  }
  const id = /<([^@>]+)@/.exec(headers.get('message-id') ?? '')?.[1] ?? '';
  return {
    messageId: id,
    file,
    from: decode(headers.get('from')),
    to: decode(headers.get('to'))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    subject: decode(headers.get('subject')),
    date: headers.get('date') ?? '',
    ...(headers.get('x-ses-configuration-set')
      ? { configurationSet: headers.get('x-ses-configuration-set') }
      : {}),
    tags,
  };
}

/** Every message in an outbox folder, oldest first. */
export function listOutbox(outboxDir: string): OutboxMessage[] {
  let names: string[];
  try {
    names = readdirSync(outboxDir).filter((name) => name.endsWith('.eml'));
  } catch {
    return [];
  }
  return names.sort().map((name) => readOutboxMessage(join(outboxDir, name)));
}
