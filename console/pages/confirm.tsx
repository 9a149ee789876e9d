import type { FC } from 'hono/jsx';
import type { ActionDefinition, FieldSpec, FormValues } from '../actions';
import { BASE, Layout, Paths, StateBadge } from './layout';

export interface ConfirmModel {
  action: ActionDefinition;
  orderKey: string;
  state: string;
  /** The money the action is about, as the confirmation names it. */
  amount: string;
  customerName?: string;
  consequence: string;
  fields: FieldSpec[];
  /** The order as the confirmation saw it: the POST must find it unchanged. */
  expect: string;
  csrf: string;
  /** What was typed, when the form comes back with a problem. */
  values?: FormValues;
  problem?: string;
}

const Input: FC<{ field: FieldSpec; values: FormValues | undefined }> = ({ field, values }) =>
  field.type === 'checkbox' ? (
    <label class="check">
      <input
        type="checkbox"
        name={field.name}
        value="yes"
        checked={values?.[field.name] === 'yes'}
        required={field.missing}
      />{' '}
      {field.label}
    </label>
  ) : (
    <label>
      {field.label}
      {field.missing ? <span class="missing"> (the order lacks this)</span> : null}
      <input
        name={field.name}
        value={values?.[field.name] ?? ''}
        placeholder={field.hint ?? ''}
        maxlength={200}
      />
    </label>
  );

/**
 * The confirmation of one action on one order: what it does and to how much money, the fields it takes, and a
 * reason, which is required and kept on the order. Nothing is changed until this form is sent.
 */
export const ConfirmPage: FC<{ where: string; model: ConfirmModel }> = ({ where, model }) => (
  <Layout title={`${model.action.label}: ${model.orderKey}`} where={where}>
    <p class="crumbs">
      <a href={Paths.order(model.orderKey)}>Back to the order</a>
    </p>
    <h1>{model.action.label}</h1>
    <section class="confirm" aria-label="confirmation">
      <dl>
        <dt>Order</dt>
        <dd class="key">{model.orderKey}</dd>
        <dt>State</dt>
        <dd>
          <StateBadge state={model.state} />
        </dd>
        <dt>Amount</dt>
        <dd class="amount">{model.amount}</dd>
        {model.customerName ? (
          <>
            <dt>Yay customer</dt>
            <dd class="mono">{model.customerName}</dd>
          </>
        ) : null}
      </dl>
      <p class="consequence">{model.consequence}</p>
    </section>
    {model.problem ? (
      <p class="problem" role="alert">
        {model.problem}
      </p>
    ) : null}
    <form method="post" action={`${BASE}/order/act`} class="act">
      <input type="hidden" name="csrf" value={model.csrf} />
      <input type="hidden" name="key" value={model.orderKey} />
      <input type="hidden" name="action" value={model.action.id} />
      <input type="hidden" name="expect" value={model.expect} />
      {model.fields.length > 0 ? (
        <fieldset>
          <legend>What to supply</legend>
          {model.fields.map((field) => (
            <Input field={field} values={model.values} />
          ))}
        </fieldset>
      ) : null}
      <label>
        Reason (kept on the order)
        <textarea name="reason" required maxlength={500} rows={3}>
          {model.values?.reason ?? ''}
        </textarea>
      </label>
      <button type="submit" class="primary">
        {`Confirm: ${model.action.label} — ${model.orderKey} (${model.amount})`}
      </button>{' '}
      <a href={Paths.order(model.orderKey)}>Cancel</a>
    </form>
  </Layout>
);
