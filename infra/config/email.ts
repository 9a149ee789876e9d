import * as z from 'zod';
import { ContextKeys } from './context-keys';
import { fail, HttpsUrl, optionalText, refuse } from './context-value';
import { MAX_STORE_MAP_ENV_BYTES, type Stores, storeMapOf } from './stores';

/** The buyer e-mails' sender, from `provisioning:emailSender`. */
export interface EmailSender {
  /** The bare address, `noreply@shop.example`: what SES's `ses:FromAddress` condition key compares. */
  readonly address: string;
  /** Its domain, `shop.example`: the reseller may have verified the domain rather than the address. */
  readonly domain: string;
  /**
   * The From as SES takes it: the address, or `Name <address>` with the name quoted when it holds specials and
   * MIME-encoded (RFC 2047) when it is not ASCII, as SES requires.
   */
  readonly from: string;
}

/** `address` or `Display Name <address>`; the name may be quoted. */
const SENDER_FORMS = /^(?:(?<name>[^<>]*?)\s*<(?<bracketed>[^<>\s]+)>|(?<bare>[^<>\s]+))$/;
const SENDER_SHAPE = 'must be an e-mail address or "Name <address>" (or empty: e-mail off)';
/** RFC 5322 atext and spaces: a display name that needs no quoting. */
const PLAIN_DISPLAY_NAME = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

/** `provisioning:emailSender`: the From of the buyer e-mails, or nothing (e-mail off). */
export const EmailSenderSchema = z.unknown().transform((raw, ctx): EmailSender | undefined => {
  if (raw !== undefined && raw !== null && typeof raw !== 'string') return refuse(ctx, SENDER_SHAPE, raw);
  const value = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
  if (value === undefined) return undefined;
  const match = SENDER_FORMS.exec(value);
  const address = match?.groups?.bracketed ?? match?.groups?.bare;
  if (!address || !z.email().safeParse(address).success) return refuse(ctx, SENDER_SHAPE, raw);
  let name = (match?.groups?.name ?? '').trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1);
  // A control character would end the From header early: nothing a shop name needs.
  if (/\p{Cc}/u.test(name))
    return refuse(ctx, `${SENDER_SHAPE}, with no control characters in the name`, raw);
  return Object.freeze({
    address,
    domain: address.slice(address.lastIndexOf('@') + 1),
    from: name === '' ? address : `${displayName(name)} <${address}>`,
  });
});

/**
 * A display name as a From header carries it: as is when it is plain, quoted when it holds specials (`Shop, Inc.`),
 * MIME encoded-word when it is not ASCII (`Café`), as SES wants a non-ASCII sender name.
 */
function displayName(name: string): string {
  if (PLAIN_DISPLAY_NAME.test(name)) return name;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/["\\]/g, '\\$&')}"`;
  return `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
}

const CONFIGURATION_SET = 'must be an SES configuration set name (letters, digits, _ and -, at most 64)';
/** `provisioning:emailConfigurationSet`: SES names are letters, digits, `_` and `-`, at most 64. */
export const EmailConfigurationSetSchema = optionalText(CONFIGURATION_SET, [
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  CONFIGURATION_SET,
]);

/** `yay:storeLoginUrl`: the default sign-in address of the e-mails (required with a sender: {@link requireLoginUrl}). */
export const StoreLoginUrlSchema = optionalText('must be an https URL', [HttpsUrl, 'must be an https URL']);

/** With e-mail on, the welcome must tell each buyer where to sign in: `yay:storeLoginUrl` is required. */
export function requireLoginUrl(
  storeLoginUrl: string | undefined,
  emailSender: EmailSender | undefined,
  raw: unknown,
): void {
  if (storeLoginUrl === undefined && emailSender) {
    fail(
      ContextKeys.storeLoginUrl,
      `is required when ${ContextKeys.emailSender} is set (the welcome e-mail tells each buyer where to sign in)`,
      raw,
    );
  }
}

/**
 * notify's two sign-in variables share one budget of Lambda's environment; checked with e-mail off too, so a later
 * switch-on cannot fail. The key named is the stores' when any has its own address.
 */
export function checkLoginUrlsFit(stores: Stores, storeLoginUrl: string | undefined): void {
  const loginUrls = storeMapOf(stores, 'loginUrl');
  const loginBytes = Buffer.byteLength(JSON.stringify(loginUrls)) + Buffer.byteLength(storeLoginUrl ?? '');
  if (loginBytes > MAX_STORE_MAP_ENV_BYTES) {
    fail(
      Object.keys(loginUrls).length > 0 ? ContextKeys.stores : ContextKeys.storeLoginUrl,
      `gives notify ${loginBytes} bytes of sign-in addresses (with ${ContextKeys.storeLoginUrl}), more than the ${MAX_STORE_MAP_ENV_BYTES} that fit in Lambda's 4 KB of environment`,
      `${Object.keys(loginUrls).length} stores with a loginUrl`,
    );
  }
}
