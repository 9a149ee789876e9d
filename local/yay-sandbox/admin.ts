import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Millis } from '../../shared/domain/credit';
import { listenLoopback } from '../listen';
import type { SandboxFaults } from './faults';
import type { SandboxBehaviour, YaySandbox } from './types';

/**
 * Every field of {@link SandboxFaults}, so a fault set sent over HTTP with a misspelt field is refused naming
 * it instead of being silently ignored (the compiler keeps this list whole).
 */
const FAULT_FIELDS: Record<keyof SandboxFaults, true> = {
  latencyMs: true,
  errorRate: true,
  errorSeed: true,
  maxConcurrent: true,
  dropNext: true,
  truncateNext: true,
  errorAfterApplyNext: true,
  holdNext: true,
  balanceUnavailableForMs: true,
  forbidden: true,
};

const BEHAVIOUR_FIELDS: Record<keyof SandboxBehaviour, true> = {
  omitUuidOnCreate: true,
  amountsAs: true,
  statusInEnvelopeOnly: true,
  balanceOnCustomerRecord: true,
  balanceCommands: true,
  balanceHistory: true,
  authForBalance: true,
  storeFrontsAs: true,
  storeFrontIdField: true,
};

const MAX_BODY_BYTES = 64 * 1024;

/** A running control port: its URL and how to stop it (the sandbox keeps running). */
export interface SandboxAdmin {
  /** e.g. `http://127.0.0.1:40124`. */
  readonly url: string;
  stop(): Promise<void>;
}

/** A refusal the admin answers 400 with, naming what is wrong. */
class BadRequest extends Error {}

/**
 * The control port of a sandbox run in a process of its own (`npm run yay-sandbox -- --admin`), for a harness that must
 * change faults and read the ledger while local mode, the sandbox's client, is killed and restarted around
 * it. A separate listener, not routes on the API port: nothing speaking Yay's API can reach it, and its
 * requests never show in the sandbox's request log, its concurrency count or its faults.
 *
 * Loopback only (it listens on 127.0.0.1 and refuses any other peer). Routes, JSON in and out:
 * - `GET /state`: {@link YaySandbox.state} plus `held`;
 * - `GET /fault-counts`: only its `faultCounts` and `held`, cheap enough to poll;
 * - `PUT /faults`: a {@link SandboxFaults} set, replacing the current one (as `setFaults`);
 * - `PUT /behaviour`: some {@link SandboxBehaviour} variants (as `setBehaviour`);
 * - `PUT /reseller-balance`: `{"balance": <thousandths>}`;
 * - `POST /release`: lets every held request go on;
 * - `POST /spend`: `{"uuid": "…", "amount": <thousandths>}`, the customer's calls (as `spend`), answers `{"balance"}`;
 * - `POST /deactivate`: `{"uuid": "…"}`, off the active customer list (as `deactivate`);
 * - `POST /customers`: `{"name": "…", "contact_name"?: "…", "balance"?: <thousandths>}`, a customer created
 *   outside this product (as `addCustomer`; spaces allowed in the name), answers the customer.
 */
export async function startSandboxAdmin(
  sandbox: YaySandbox,
  options: { port?: number } = {},
): Promise<SandboxAdmin> {
  const route = async (req: IncomingMessage): Promise<unknown> => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/state') return { ...sandbox.state, held: sandbox.held };
    if (method === 'GET' && path === '/fault-counts') {
      return { faultCounts: sandbox.faultCounts, held: sandbox.held };
    }
    if (method === 'PUT' && path === '/faults') {
      const faults = objectWithOnly(await readJson(req), FAULT_FIELDS, 'fault');
      try {
        sandbox.setFaults(faults as SandboxFaults);
      } catch (error) {
        throw new BadRequest(error instanceof Error ? error.message : String(error));
      }
      return { faults };
    }
    if (method === 'PUT' && path === '/behaviour') {
      const behaviour = objectWithOnly(await readJson(req), BEHAVIOUR_FIELDS, 'behaviour');
      sandbox.setBehaviour(behaviour as Partial<SandboxBehaviour>);
      return { behaviour };
    }
    if (method === 'PUT' && path === '/reseller-balance') {
      const { balance } = objectWithOnly(await readJson(req), { balance: true }, 'reseller balance');
      try {
        sandbox.setResellerBalance(balance as Millis);
      } catch (error) {
        throw new BadRequest(error instanceof Error ? error.message : String(error));
      }
      return { balance };
    }
    if (method === 'POST' && path === '/release') {
      const released = sandbox.held;
      sandbox.release();
      return { released };
    }
    if (method === 'POST' && path === '/spend') {
      const { uuid, amount } = objectWithOnly(await readJson(req), { uuid: true, amount: true }, 'spend');
      if (typeof uuid !== 'string') throw new BadRequest('spend field "uuid" must be a string');
      return { balance: refusingBadInput(() => sandbox.spend(uuid, amount as Millis)) };
    }
    if (method === 'POST' && path === '/deactivate') {
      const { uuid } = objectWithOnly(await readJson(req), { uuid: true }, 'deactivate');
      if (typeof uuid !== 'string') throw new BadRequest('deactivate field "uuid" must be a string');
      refusingBadInput(() => sandbox.deactivate(uuid));
      return { uuid, active: false };
    }
    if (method === 'POST' && path === '/customers') {
      const fields = objectWithOnly(
        await readJson(req),
        { name: true, contact_name: true, balance: true },
        'customer',
      );
      if (typeof fields.name !== 'string') throw new BadRequest('customer field "name" must be a string');
      if (fields.contact_name !== undefined && typeof fields.contact_name !== 'string') {
        throw new BadRequest('customer field "contact_name" must be a string');
      }
      const { name, contact_name, balance } = fields as {
        name: string;
        contact_name?: string;
        balance?: Millis;
      };
      return refusingBadInput(() =>
        sandbox.addCustomer({
          name,
          ...(contact_name === undefined ? {} : { contact_name }),
          ...(balance === undefined ? {} : { balance }),
        }),
      );
    }
    return undefined;
  };

  const server = await listenLoopback((req, res) => {
    if (!isLoopback(req.socket.remoteAddress)) return answer(res, 403, { error: 'loopback only' });
    route(req).then(
      (body) =>
        body === undefined
          ? answer(res, 404, { error: `no admin route for ${req.method} ${req.url}` })
          : answer(res, 200, body),
      (error: unknown) =>
        answer(res, error instanceof BadRequest ? 400 : 500, {
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  }, options.port ?? 0);
  return { url: server.url, stop: server.close };
}

/** Runs a sandbox operation, turning its refusal of the input (a RangeError naming it) into a 400. */
function refusingBadInput<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    if (error instanceof RangeError) throw new BadRequest(error.message);
    throw error;
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('body is not JSON');
  }
}

/** The body as an object holding only `fields`; anything else is refused naming the first stranger. */
function objectWithOnly(body: unknown, fields: Record<string, true>, what: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest(`${what} body must be a JSON object`);
  }
  const unknown = Object.keys(body).find((key) => !Object.hasOwn(fields, key));
  if (unknown !== undefined) throw new BadRequest(`unknown ${what} field "${unknown}"`);
  return body as Record<string, unknown>;
}
