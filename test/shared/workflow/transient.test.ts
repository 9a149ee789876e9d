import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigInvalid,
  DependencyUnavailable,
  ErrorNames,
  YayRateLimited,
  YayRejected,
  YayUnavailable,
} from '../../../shared/errors';
import { secretsManagerReader, YayCredentialsSchema } from '../../../shared/secrets';
import { classifyError, workflowHandler } from '../../../shared/workflow/lambda';
import { reconcileTransfer } from '../../../shared/workflow/reconcile-transfer';
import { transferCredit } from '../../../shared/workflow/transfer-credit';
import { orderEvent } from './fixtures';
import { workflowHarness } from './harness';

/** An error as the AWS SDK v3 throws it after its own retries: a name, a fault, the HTTP status. */
function sdkError(name: string, httpStatusCode: number, extra: Record<string, unknown> = {}): Error {
  const error = new Error(`${name} from the service`);
  error.name = name;
  Object.assign(error, {
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    ...extra,
  });
  return error;
}

describe('transient errors stay transient', () => {
  describe('classifyError (every workflow Lambda)', () => {
    it.each([
      ['a DynamoDB throttle', sdkError('ProvisionedThroughputExceededException', 400)],
      ['a Secrets Manager throttle', sdkError('ThrottlingException', 400)],
      ['an AWS 5xx', sdkError('InternalServerError', 500)],
      ['an SDK socket timeout', sdkError('TimeoutError', 0)],
      ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ])('renames %s DependencyUnavailable, keeping it as the cause', (_what, error) => {
      const classified = classifyError(error);

      expect(classified).toBeInstanceOf(DependencyUnavailable);
      expect((classified as Error).name).toBe(ErrorNames.DependencyUnavailable);
      expect((classified as Error).cause).toBe(error);
    });

    it.each([
      ['a validation error (our bug: final)', sdkError('ValidationException', 400)],
      ['a denied call (configuration: final)', sdkError('AccessDeniedException', 400)],
      ['our own definite refusal', new YayRejected('refused', 400)],
      ['our own retryable error', new YayRateLimited('429')],
      ['a plain bug', new TypeError('x is undefined')],
    ])('leaves %s as it is', (_what, error) => {
      expect(classifyError(error)).toBe(error);
    });

    it('reaches the state machine under the retryable name when a handler meets a throttle', async () => {
      const handler = workflowHandler(async () => {
        throw sdkError('ThrottlingException', 400);
      });

      await expect(handler({}, { functionName: 'test', awsRequestId: 'r' } as never)).rejects.toMatchObject({
        name: ErrorNames.DependencyUnavailable,
      });
    });
  });

  describe('secretsManagerReader', () => {
    const secretsManager = mockClient(SecretsManagerClient);
    beforeEach(() => secretsManager.reset());
    afterAll(() => secretsManager.restore());
    const read = () =>
      secretsManagerReader(300, new SecretsManagerClient({ region: 'eu-west-2' })).read(
        'yay-test',
        YayCredentialsSchema,
      );

    it.each([
      ['throttled', sdkError('ThrottlingException', 400)],
      ['failing on its side', sdkError('InternalServiceError', 500)],
      ['timing out', sdkError('TimeoutError', 0)],
    ])('answers DependencyUnavailable (retried) when Secrets Manager is %s', async (_what, error) => {
      secretsManager.on(GetSecretValueCommand).rejects(error);

      await expect(read()).rejects.toBeInstanceOf(DependencyUnavailable);
    });

    it.each([
      ['missing', 'ResourceNotFoundException'],
      ['denied to this role', 'AccessDeniedException'],
      ['not decryptable with its key', 'DecryptionFailure'],
    ])('answers ConfigInvalid (final) naming the secret when it is %s', async (_what, name) => {
      secretsManager.on(GetSecretValueCommand).rejects(sdkError(name, 400));

      const error = await read().catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConfigInvalid);
      expect((error as Error).message).toBe(`secret yay-test could not be read (${name})`);
    });
  });

  describe('reconcileTransfer', () => {
    const h = workflowHarness();
    const order = orderEvent({ kind: 'paid' });

    it.each([
      ['a 429', new YayRateLimited('GET /account/balance answered 429')],
      ['an outage', new YayUnavailable('GET /account/balance: no answer within 10000 ms', true)],
    ])(
      'lets %s on the balance read reach the graph, leaving the transfer UNKNOWN for the retry',
      async (_what, error) => {
        const { store, yay, obs } = h;
        const uuid = yay.addCustomer('cname');
        await store.record(order, 'exec', obs.observability.now());
        yay.transferFaults.push('lost-answer');
        const deps = { ...obs.observability, orders: store, transfers: store, leases: store, yay };
        await transferCredit(deps, { order, customer: { uuid, name: 'cname', created: true } }).catch(
          () => {},
        );
        yay.customerBalanceError = error;

        await expect(reconcileTransfer(deps, order.orderKey)).rejects.toBe(error);

        expect((await store.getIntent(order.orderKey))?.status).toBe('UNKNOWN');
        yay.customerBalanceError = undefined;
        await expect(reconcileTransfer(deps, order.orderKey)).resolves.toMatchObject({ decision: 'applied' });
      },
    );
  });
});
