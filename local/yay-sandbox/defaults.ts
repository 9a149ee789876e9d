/**
 * What a sandbox uses unless told otherwise. Kept apart from the server so that local mode's configuration and the
 * ops CLI read the default credentials without loading an HTTP server (test/toolchain/layers.test.ts checks it):
 * type imports only, nothing here runs another module.
 */
import type { YayCredentials } from '../../shared/secrets';
import type { SandboxStoreFront } from './ledger';
import type { SandboxBehaviour } from './types';

/** The credentials a sandbox accepts unless given others: obvious fakes. */
export const DEFAULT_SANDBOX_CREDENTIALS: YayCredentials = Object.freeze({
  reseller: 'sandbox-reseller',
  user: 'sandbox-user',
  password: 'test-only-not-a-secret',
});

/** The one store front a sandbox knows unless given others. */
export const DEFAULT_STORE_FRONT: SandboxStoreFront = Object.freeze({
  uuid: '5a4d0000-0000-4000-8000-00000000f001',
  name: 'Sandbox store',
});

/** How the sandbox serves what the reference leaves open, unless told otherwise: as documented, where it is. */
export const DEFAULT_BEHAVIOUR: SandboxBehaviour = {
  omitUuidOnCreate: false,
  amountsAs: 'number',
  statusInEnvelopeOnly: false,
  balanceOnCustomerRecord: false,
  balanceCommands: 'reseller-balance',
  balanceHistory: 'ledger',
  authForBalance: 'honoured',
  storeFrontsAs: 'list',
  storeFrontIdField: 'uuid',
};
