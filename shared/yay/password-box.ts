import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The store password, sealed between create-customer (which generates it and sends it to Yay) and the welcome
 * e-mail (which tells the buyer): AES-256-GCM under a key derived from the password-key secret, with the customer
 * name as additional data, so a sealed value copied onto another customer's record does not open. The table holds
 * only the sealed form; execution history, logs and events never see the password at all.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** 32 key bytes from the secret's text (HKDF-SHA256, labelled for this one use). */
export function passwordKey(secret: string): Buffer {
  if (secret.length < 32) throw new RangeError('the password key secret must be at least 32 characters');
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'yay-provisioning store password', 32));
}

/** `v1.<base64url(iv ‖ tag ‖ ciphertext)>` */
export function sealPassword(password: string, key: Buffer, customerName: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(customerName, 'utf8'));
  const body = Buffer.concat([cipher.update(password, 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

/** Opens a sealed password; throws (naming no content) when the key, the customer or the value is wrong. */
export function openPassword(sealed: string, key: Buffer, customerName: string): string {
  const [version, encoded] = sealed.split('.', 2);
  if (version !== VERSION || !encoded) throw new Error('sealed password: unknown format');
  const raw = Buffer.from(encoded, 'base64url');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw new Error('sealed password: too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(customerName, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new Error('sealed password: does not open with this key for this customer');
  }
}
