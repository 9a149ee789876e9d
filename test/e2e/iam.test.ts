import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/provisioning-function';
import type { FunctionName } from '../../infra/names';
import { LocalSecretIds } from '../../local/aws/secrets';
import type { CfnTemplate } from '../../local/aws/template/types';
import { type LocalRuntime, startLocal } from '../../local/runtime/start-local';
import { sendStripeEvent, stripeCheckoutEvent, stripeOrderKey } from '../../local/samples';
import type { Millis } from '../../shared/domain/credit';
import { E2E_SECRETS, e2eEnv, uniqueBuyer, yayCustomersOf } from './support';

type Statement = { Effect?: string; Action: string | string[]; Resource: unknown };
type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

/**
 * Removes `action` from every statement of `functionName`'s role that grants it (and a statement left with no
 * action): the template as if that one grant had never been written.
 */
function withoutGrant(functionName: FunctionName, action: string) {
  return (template: CfnTemplate): void => {
    const resources = (template.Resources ?? {}) as Record<string, Resource>;
    const fn = Object.values(resources).find((r) => r.Metadata?.[FUNCTION_METADATA_KEY] === functionName);
    const role = (fn?.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined)?.['Fn::GetAtt'][0];
    let removed = 0;
    for (const policy of Object.values(resources)) {
      const roles = (policy.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
      if (policy.Type !== 'AWS::IAM::Policy' || !roles.some((r) => r.Ref === role)) continue;
      const document = policy.Properties?.PolicyDocument as { Statement: Statement[] };
      document.Statement = document.Statement.flatMap((statement) => {
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        if (!actions.includes(action)) return [statement];
        removed += 1;
        const rest = actions.filter((a) => a !== action);
        return rest.length === 0 ? [] : [{ ...statement, Action: rest }];
      });
    }
    if (removed === 0) throw new Error(`${functionName} has no grant of ${action} to remove`);
  };
}

/**
 * IAM as AWS enforces it, in local mode: every call a function makes to a stand-in is checked against its role in
 * the synthesized template. With the template's grants an order goes through with nothing denied; with one grant
 * removed, exactly that call is denied and the order ends as such a failure ends.
 */
describe('local mode under IAM enforcement', () => {
  const RICH = 1_000_000 as Millis;
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'yay-e2e-iam-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = (name: string, amendTemplate?: (template: CfnTemplate) => void) =>
    startLocal({
      env: e2eEnv(),
      overrides: { port: 0, dataDir: join(dataDir, name), maxWaitSeconds: 2 },
      print: () => undefined,
      schedules: false,
      ...(amendTemplate ? { amendTemplate } : {}),
    });

  it('refuses to start, naming it, when a policy has a shape the evaluator cannot read', async () => {
    const conditional = (template: CfnTemplate) => {
      const resources = (template.Resources ?? {}) as Record<string, Resource>;
      const policy = Object.values(resources).find((r) => r.Type === 'AWS::IAM::Policy');
      const document = policy?.Properties?.PolicyDocument as { Statement: Statement[] };
      document.Statement.push({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::If': ['Cond', '*', '*'] },
      });
    };

    await expect(start('unreadable', conditional)).rejects.toThrow(
      /local mode cannot enforce the template's IAM policies: .*the intrinsic Fn::If is not supported/,
    );
  });

  // First: the handlers' modules (and the secrets they cache) outlive a runtime in this process, so a Yay secret
  // read with the full grants would be served from the cache after the grant is gone.
  describe('with one grant removed', () => {
    let runtime: LocalRuntime;

    beforeAll(async () => {
      const transferCannotReadYay = withoutGrant('transfer-credit', 'secretsmanager:GetSecretValue');
      const sweepCannotQueryIndex = (template: CfnTemplate) => {
        // The sweep's Query on the OpenOrders index is its own statement: removing it removes only that grant.
        const resources = (template.Resources ?? {}) as Record<string, Resource>;
        for (const policy of Object.values(resources)) {
          const document = policy.Properties?.PolicyDocument as { Statement: Statement[] } | undefined;
          if (policy.Type !== 'AWS::IAM::Policy' || !document) continue;
          if (!String(JSON.stringify(policy.Properties?.Roles)).includes('SweepFunctionServiceRole'))
            continue;
          document.Statement = document.Statement.filter(
            (s) => !JSON.stringify(s.Resource).includes('/index/OpenOrders'),
          );
        }
      };
      runtime = await start('denied', (template) => {
        transferCannotReadYay(template);
        sweepCannotQueryIndex(template);
      });
      runtime.sandbox?.setResellerBalance(RICH);
    });

    afterAll(async () => {
      await runtime?.stop();
    });

    it('denies transfer-credit its Yay secret with AccessDeniedException, and the order fails without credit', async () => {
      const buyer = uniqueBuyer('iam-denied');
      const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });

      await sendStripeEvent(runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
      const order = await runtime.waitForOrder(stripeOrderKey(event));

      expect(runtime.iam.denials).toContainEqual({
        functionName: 'transfer-credit',
        action: 'secretsmanager:GetSecretValue',
        resource: LocalSecretIds.yay,
        message:
          'User: arn:aws:sts::000000000000:assumed-role/TransferCreditFunctionServiceRole0216C508/transfer-credit ' +
          `is not authorized to perform: secretsmanager:GetSecretValue on resource: ${LocalSecretIds.yay} ` +
          'because no identity-based policy allows the secretsmanager:GetSecretValue action',
      });
      expect(runtime.iam.denials.every((d) => d.functionName === 'transfer-credit')).toBe(true);
      // A denied secret is a broken configuration: final, caught, recorded — never retried into a credit.
      expect(order.state).toBe('failed');
      expect(order.lastError).toMatchObject({
        Error: 'ConfigInvalid',
        Cause: expect.stringContaining('AccessDeniedException'),
      });
      const [customer] = yayCustomersOf(runtime.sandbox ?? (undefined as never), buyer);
      expect(customer?.transfers).toEqual([]);
      // At most the intent, never an applied transfer: the denial came before any call to Yay.
      expect(order.transfer?.status).not.toBe('APPLIED');
    });

    it("denies the sweep's Query on the OpenOrders index through the DynamoDB proxy", async () => {
      const before = runtime.iam.denials.length;

      const run = runtime.runSchedule('sweep');

      await expect(run).rejects.toMatchObject({ name: 'AccessDeniedException' });
      expect(runtime.iam.denials.slice(before)).toEqual([
        expect.objectContaining({
          functionName: 'sweep',
          action: 'dynamodb:Query',
          resource: 'arn:aws:dynamodb:eu-west-2:000000000000:table/yay-provisioning/index/OpenOrders',
        }),
      ]);
    });

    it('still answers the operator, whose calls carry no role', async () => {
      const open = await runtime.store.listOpen();

      expect(Array.isArray(open)).toBe(true);
    });
  });

  describe('with the template as synthesized', () => {
    let runtime: LocalRuntime;

    beforeAll(async () => {
      runtime = await start('granted');
      runtime.sandbox?.setResellerBalance(RICH);
    });

    afterAll(async () => {
      await runtime?.stop();
    });

    it('fulfils a paid order with every function call checked and none denied', async () => {
      const buyer = uniqueBuyer('iam-granted');
      const event = stripeCheckoutEvent({ buyer, paymentStatus: 'paid', credit: '10.000' });

      const answer = await sendStripeEvent(runtime.url, E2E_SECRETS.STRIPE_WEBHOOK_SECRET, event);
      const order = await runtime.waitForOrder(stripeOrderKey(event));

      expect(answer.status).toBe(202);
      expect(order.state).toBe('fulfilled');
      expect(runtime.iam.denials).toEqual([]);
      // The functions of the flow really were checked (their calls carried who they were).
      for (const name of [
        'webhook-intake',
        'dispatch',
        'create-customer',
        'transfer-credit',
        'record-outcome',
      ]) {
        expect(runtime.iam.checked.get(name) ?? 0, name).toBeGreaterThan(0);
      }
    });
  });
});
