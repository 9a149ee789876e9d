import { randomUUID } from 'node:crypto';
import { MIN_TRANSFER, type Millis, parseCredit } from '../../../shared/domain/credit';

/** A store front the sandbox knows; `POST /account/reseller` must name one of these in `store_front`. */
export interface SandboxStoreFront {
  uuid: string;
  name: string;
}

/** A store user as the sandbox keeps it: the password is never kept, only whether one was sent. */
export interface SandboxUser {
  name: string;
  email?: string;
  role_id: string;
  contact_first_name?: string;
  contact_last_name?: string;
  hadPassword: boolean;
}

/** A customer as the sandbox keeps it; `balance` in integer thousandths. */
export interface SandboxCustomer {
  uuid: string;
  name: string;
  contact_name: string;
  store_front?: string;
  users: SandboxUser[];
  addresses: Record<string, unknown>[];
  /** Integer thousandths of a pound. */
  balance: Millis;
}

/** One applied `PUT /account/reseller/{uuid}` balance move. */
export interface SandboxTransfer {
  customerUuid: string;
  amount: Millis;
  /** Milliseconds since the epoch. */
  at: number;
}

/** What a route handler decided: the envelope's `status_code` and `result`. */
export interface LedgerAnswer {
  status: number;
  result: unknown;
}

const ok = (result: unknown, status = 200): LedgerAnswer => ({ status, result });
// Yay's errors carry an empty result and no detail (YAY_API.md), so the sandbox gives none either.
const fail = (status: number): LedgerAnswer => ({ status, result: {} });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/**
 * The sandbox's accounts: reseller balance, customers and transfers, all amounts in integer
 * thousandths. Pure state and rules, no HTTP: the server maps requests onto these methods.
 */
export class SandboxLedger {
  resellerBalance: Millis;
  readonly customers: SandboxCustomer[] = [];
  readonly transfers: SandboxTransfer[] = [];

  constructor(
    readonly storeFronts: SandboxStoreFront[],
    resellerBalance: Millis,
  ) {
    this.resellerBalance = resellerBalance;
  }

  byUuid(uuid: string): SandboxCustomer | undefined {
    return this.customers.find((customer) => customer.uuid === uuid);
  }

  byName(name: string): SandboxCustomer | undefined {
    return this.customers.find((customer) => customer.name === name);
  }

  /** `POST /account/reseller`: the guide's rules for a (store) customer; a duplicate name is a bare 400. */
  create(body: unknown): LedgerAnswer & { customer?: SandboxCustomer } {
    if (!isRecord(body) || !nonEmptyString(body.name) || !nonEmptyString(body.contact_name)) return fail(400);
    if (this.byName(body.name)) return fail(400);
    let users: SandboxUser[] = [];
    let addresses: Record<string, unknown>[] = [];
    if (body.store_front !== undefined) {
      if (!this.storeFronts.some((front) => front.uuid === body.store_front)) return fail(400);
      if (!Array.isArray(body.users) || !Array.isArray(body.addresses)) return fail(400);
      if (!body.users.every(isRecord) || !body.addresses.every(isRecord)) return fail(400);
      // role_id "3" is the store user; the guide writes it as a string, some examples as a number.
      if (!body.users.some((user) => String(user.role_id) === '3' && nonEmptyString(user.name)))
        return fail(400);
      if (body.addresses.length === 0) return fail(400);
      users = body.users.map((user) => ({
        name: String(user.name ?? ''),
        email: typeof user.email === 'string' ? user.email : undefined,
        role_id: String(user.role_id ?? ''),
        contact_first_name: typeof user.contact_first_name === 'string' ? user.contact_first_name : undefined,
        contact_last_name: typeof user.contact_last_name === 'string' ? user.contact_last_name : undefined,
        hadPassword: nonEmptyString(user.password),
      }));
      addresses = body.addresses.map((address) => ({ ...address }));
    }
    const customer: SandboxCustomer = {
      uuid: randomUUID(),
      name: body.name,
      contact_name: body.contact_name,
      store_front: typeof body.store_front === 'string' ? body.store_front : undefined,
      users,
      addresses,
      balance: 0 as Millis,
    };
    this.customers.push(customer);
    return { ...ok(this.publicView(customer), 201), customer };
  }

  /** `PUT /account/reseller/{uuid}` with `{"balance":"10.000"}`: moves credit from the reseller. */
  transfer(uuid: string, body: unknown, now: number): LedgerAnswer {
    const customer = this.byUuid(uuid);
    if (!customer) return fail(404);
    if (!isRecord(body) || body.balance === undefined) return fail(400);
    let amount: Millis;
    try {
      amount = parseCredit(body.balance);
    } catch {
      return fail(400);
    }
    if (amount < MIN_TRANSFER || amount > this.resellerBalance) return fail(400);
    this.resellerBalance = (this.resellerBalance - amount) as Millis;
    customer.balance = (customer.balance + amount) as Millis;
    this.transfers.push({ customerUuid: uuid, amount, at: now });
    return ok(this.publicView(customer));
  }

  /** The fields `GET /account/reseller` documents; never users' details. */
  publicView(customer: SandboxCustomer): Record<string, unknown> {
    return {
      uuid: customer.uuid,
      name: customer.name,
      contact_name: customer.contact_name,
      store_front: customer.store_front ?? null,
      phone: null,
      allow_outbound: true,
    };
  }
}
