import { randomUUID } from 'node:crypto';
import { MIN_TRANSFER, type Millis, parseCredit } from '../../shared/domain/credit';

/**
 * What the customer list serves as each user's `password`: the reference's list shows the field (its example
 * holds "password"), but the sandbox never kept one, so every user shows this fixed placeholder. Tests grep
 * for it to prove a listed password goes nowhere.
 */
export const SANDBOX_LISTED_PASSWORD = 'sandbox-listed-password-placeholder';

/** A store front the sandbox knows; `POST /account/reseller` must name one of these in `store_front`. */
export interface SandboxStoreFront {
  uuid: string;
  name: string;
}

/** A store user as the sandbox keeps it: the password is never kept, only whether one was sent. */
export interface SandboxUser {
  uuid: string;
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
  /** Unique; may contain spaces for a customer created outside this product ({@link SandboxLedger.addCustomer}). */
  name: string;
  contact_name: string;
  store_front?: string;
  users: SandboxUser[];
  addresses: Record<string, unknown>[];
  /** Integer thousandths of a pound; below zero once the customer has spent more than it had. */
  balance: Millis;
  /** False once deactivated: gone from `GET /account/reseller` (active customers only), its name still taken. */
  active: boolean;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Every movement of the balance, oldest first: what the balance-history command answers. */
  history: SandboxBalanceEntry[];
}

/** One movement of a customer's balance. */
export interface SandboxBalanceEntry {
  /** `transfer`: credit moved from the reseller; `spend`: the customer's calls; `opening`: set up by a harness. */
  kind: 'transfer' | 'spend' | 'opening';
  /** Signed thousandths. */
  change: Millis;
  /** The balance after it, signed thousandths. */
  balance: Millis;
  /** Milliseconds since the epoch. */
  at: number;
}

/** One applied credit move (the guide's PUT or the allocation command) from the reseller to a customer. */
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
// Yay's errors carry an empty result and no detail (shared/yay/README.md), so the sandbox gives none either.
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

  /** The customers `GET /account/reseller` lists: the active ones. */
  get active(): SandboxCustomer[] {
    return this.customers.filter((customer) => customer.active);
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
        uuid: randomUUID(),
        name: String(user.name ?? ''),
        email: typeof user.email === 'string' ? user.email : undefined,
        role_id: String(user.role_id ?? ''),
        contact_first_name: typeof user.contact_first_name === 'string' ? user.contact_first_name : undefined,
        contact_last_name: typeof user.contact_last_name === 'string' ? user.contact_last_name : undefined,
        hadPassword: nonEmptyString(user.password),
      }));
      addresses = body.addresses.map((address) => ({ uuid: randomUUID(), ...address }));
    }
    const customer = this.add({
      name: body.name,
      contact_name: body.contact_name,
      store_front: typeof body.store_front === 'string' ? body.store_front : undefined,
      users,
      addresses,
    });
    return { ...ok(this.publicView(customer), 201), customer };
  }

  /**
   * A customer created outside this product (in Yay's dashboard, by another tool): no store user, no address,
   * any name the platform allows (spaces included), an optional opening balance (possibly negative). Refused,
   * as Yay refuses it, when the name is taken.
   */
  addCustomer(
    input: { name: string; contact_name?: string; balance?: Millis },
    now = Date.now(),
  ): SandboxCustomer {
    if (!nonEmptyString(input.name) || input.name !== input.name.trim()) {
      throw new RangeError('sandbox customer name must be non-empty text without space at either end');
    }
    if (this.byName(input.name)) throw new RangeError(`sandbox customer name "${input.name}" is taken`);
    const balance = input.balance ?? (0 as Millis);
    if (!Number.isSafeInteger(balance))
      throw new RangeError(`sandbox opening balance must be integer millis, got ${balance}`);
    const customer = this.add({ name: input.name, contact_name: input.contact_name ?? input.name }, now);
    if (balance !== 0) this.move(customer, 'opening', balance, now);
    return customer;
  }

  private add(
    fields: Pick<SandboxCustomer, 'name' | 'contact_name'> &
      Partial<Pick<SandboxCustomer, 'store_front' | 'users' | 'addresses'>>,
    now = Date.now(),
  ): SandboxCustomer {
    const customer: SandboxCustomer = {
      uuid: randomUUID(),
      name: fields.name,
      contact_name: fields.contact_name,
      store_front: fields.store_front,
      users: fields.users ?? [],
      addresses: fields.addresses ?? [],
      balance: 0 as Millis,
      active: true,
      createdAt: now,
      history: [],
    };
    this.customers.push(customer);
    return customer;
  }

  private move(
    customer: SandboxCustomer,
    kind: SandboxBalanceEntry['kind'],
    change: number,
    now: number,
  ): void {
    customer.balance = (customer.balance + change) as Millis;
    customer.history.push({ kind, change: change as Millis, balance: customer.balance, at: now });
  }

  /**
   * Moves credit from the reseller to a customer: `PUT /account/reseller/{uuid}` with `{"balance":"10.000"}`, or
   * the allocation command with the same body. 0.010 up to the reseller's balance; a bare 400 otherwise.
   */
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
    this.move(customer, 'transfer', amount, now);
    this.transfers.push({ customerUuid: uuid, amount, at: now });
    return ok(this.publicView(customer));
  }

  /** The customer spends (calls): the balance may go below zero. Returns the new balance. */
  spend(uuid: string, amount: Millis, now: number): Millis {
    const customer = this.byUuid(uuid);
    if (!customer) throw new RangeError(`sandbox has no customer ${uuid}`);
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      throw new RangeError(`sandbox spend must be positive integer millis, got ${amount}`);
    }
    this.move(customer, 'spend', -amount, now);
    return customer.balance;
  }

  /** Takes a customer off the active list; its name stays taken and its balance stays readable. */
  deactivate(uuid: string): void {
    const customer = this.byUuid(uuid);
    if (!customer) throw new RangeError(`sandbox has no customer ${uuid}`);
    customer.active = false;
  }

  /**
   * A customer in the shape the reference's list example shows (`phone` a string, dates, `addresses[]`,
   * `ip_addresses[]`, `users[]` with a numeric `role_id` and a `password` field); also the one-customer and
   * create answers, whose shapes are not published. A user's password is the fixed
   * {@link SANDBOX_LISTED_PASSWORD}: the sandbox never kept one.
   */
  publicView(customer: SandboxCustomer): Record<string, unknown> {
    const day = new Date(customer.createdAt).toISOString().slice(0, 10);
    return {
      addresses: customer.addresses.map((address) => ({ ...address, created_on: day, updated_on: day })),
      allow_outbound: true,
      contact_name: customer.contact_name,
      created_on: day,
      ip_addresses: [],
      name: customer.name,
      phone: '',
      store_front: customer.store_front ?? null,
      updated_on: day,
      users: customer.users.map((user) => ({
        contact_first_name: user.contact_first_name ?? '',
        contact_last_name: user.contact_last_name ?? '',
        created_on: day,
        email: user.email ?? '',
        name: user.name,
        password: SANDBOX_LISTED_PASSWORD,
        role_id: /^\d+$/.test(user.role_id) ? Number(user.role_id) : user.role_id,
        updated_on: day,
        uuid: user.uuid,
      })),
      uuid: customer.uuid,
    };
  }
}
