import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * One UpdateExpression with its placeholders: every attribute name is `#name`, every value a fresh `:vN`, so
 * a method says what it sets and never keeps the two maps in step by hand. Conditions use {@link name} and
 * {@link value} of the same builder.
 */
export class Update {
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};
  readonly #sets: string[] = [];
  readonly #removes: string[] = [];
  #next = 0;

  /** The placeholder of an attribute name (`#state`). */
  name(attribute: string): string {
    if (!NAME.test(attribute)) throw new Error(`not a plain attribute name: ${attribute}`);
    this.#names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  }

  /** A placeholder bound to `value`. */
  value(value: unknown): string {
    const placeholder = `:v${this.#next++}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  set(attribute: string, value: unknown): this {
    this.#sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }

  /** Sets the attribute only where the item has none (`if_not_exists`): a default, never an overwrite. */
  setDefault(attribute: string, value: unknown): this {
    const name = this.name(attribute);
    this.#sets.push(`${name} = if_not_exists(${name}, ${this.value(value)})`);
    return this;
  }

  /** Sets the attribute to another one's value as the item stands before this update. */
  copy(attribute: string, from: string): this {
    this.#sets.push(`${this.name(attribute)} = ${this.name(from)}`);
    return this;
  }

  /** Appends to a list attribute, creating the list when absent. */
  append(attribute: string, items: readonly unknown[]): this {
    const name = this.name(attribute);
    this.#sets.push(`${name} = list_append(if_not_exists(${name}, ${this.value([])}), ${this.value(items)})`);
    return this;
  }

  /** Adds `by` to a number attribute, from 0 when absent. */
  increment(attribute: string, by = 1): this {
    const name = this.name(attribute);
    this.#sets.push(`${name} = if_not_exists(${name}, ${this.value(0)}) + ${this.value(by)}`);
    return this;
  }

  remove(...attributes: string[]): this {
    for (const attribute of attributes) {
      const name = this.name(attribute);
      if (!this.#removes.includes(name)) this.#removes.push(name);
    }
    return this;
  }

  /** The UpdateCommand fields (DynamoDB rejects an empty value map, so none is sent then). */
  input(): Pick<
    UpdateCommandInput,
    'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  > {
    const clauses = [
      ...(this.#sets.length ? [`SET ${this.#sets.join(', ')}`] : []),
      ...(this.#removes.length ? [`REMOVE ${this.#removes.join(', ')}`] : []),
    ];
    return {
      UpdateExpression: clauses.join(' '),
      ExpressionAttributeNames: { ...this.#names },
      ...(this.#next > 0 ? { ExpressionAttributeValues: { ...this.#values } } : {}),
    };
  }
}
