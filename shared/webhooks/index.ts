/** Payment webhook intake: signature verification, provider normalizers and the intake use case. */
export * from './catalog';
export * from './config';
export * from './events';
export * from './http-api';
export * from './intake';
export * from './observer';
export * from './payload';
export * from './publisher';
export * from './shopify';
export * from './signatures';
export * from './stripe';
export * from './woocommerce';
