import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  createDynamoStore,
  createNotificationStores,
  type DynamoStore,
  type NotificationStores,
} from '../../../shared/store/dynamo-store';
import type { EventsOut } from '../../../shared/workflow/events-out';
import type { Observability, WorkflowControl } from '../../../shared/workflow/ports';
import { sfnWorkflowControl } from '../../../shared/workflow/sfn-control';
import type { YayApi } from '../../../shared/yay/types';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite';
import { FakeYay, recordingObservability } from './fakes';
import { outboundRecorder } from './outbound';

export const STATE_MACHINE = 'arn:aws:states:eu-west-2:123456789012:stateMachine:CustomerProvisioning';
/** The ARN Step Functions gives an execution of that name on {@link STATE_MACHINE}. */
export const executionArnOf = (name: string) =>
  `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;

/** Every port a workflow use case takes, over one table: each use case picks the ones it needs. */
export interface WorkflowDeps extends Observability {
  orders: DynamoStore;
  transfers: DynamoStore;
  payments: DynamoStore;
  buyers: DynamoStore;
  leases: DynamoStore;
  yay: YayApi;
  workflow: WorkflowControl;
  events: EventsOut;
}

/** One table's ports and fakes: what a use case runs against. */
export interface WorkflowWorld {
  tableName: string;
  store: DynamoStore;
  /** The e-mail markers and sealed passwords, over the same table. */
  notifications: NotificationStores;
  yay: FakeYay;
  obs: ReturnType<typeof recordingObservability>;
  deps: WorkflowDeps;
}

/** What {@link workflowHarness} gives each test, fresh: a world of its own, and the process edges it shares. */
export interface WorkflowHarness extends WorkflowWorld {
  dynamo: LocalDynamo;
  outbound: ReturnType<typeof outboundRecorder>;
  /** The SFN client mock (the process edge): tests add or override answers per command. */
  sfn: AwsClientStub<SFNClient>;
  /** Execution status by ARN, as DescribeExecution answers it; absent: no such execution. */
  executions: Map<string, string>;
  /** The executions StartExecution created, in order, each input parsed (a name already known creates none). */
  started: { name: string; input: unknown }[];
  /**
   * Another fresh table with ports and fakes of its own, on the same Step Functions mock and events: for a test that
   * needs several (a property's runs) or its own DynamoDB client (one that counts calls).
   */
  world(options?: { client?: DynamoDBClient }): Promise<WorkflowWorld>;
}

/**
 * The set-up every workflow test shares, registered as the calling suite's hooks: dynalite started once per file with
 * a fresh table per test, Step Functions mocked at the process edge (StartExecution records a RUNNING execution by
 * name, DescribeExecution answers from it, SendTask* succeed), a FakeYay, recorded observability and events. Call it
 * at the top of a `describe`; read its fields in a test or a later `beforeEach`, which may replace a port in `deps`.
 */
export function workflowHarness(): WorkflowHarness {
  const sfn = mockClient(SFNClient);
  const outbound = outboundRecorder();
  const harness = {
    sfn,
    outbound,
    executions: new Map<string, string>(),
    started: [],
  } as unknown as WorkflowHarness;

  harness.world = async (options = {}) => {
    const tableName = await harness.dynamo.newTable();
    const client = options.client ?? harness.dynamo.client;
    const store = createDynamoStore({ tableName, client });
    const yay = new FakeYay();
    const obs = recordingObservability();
    // Yay's history stamped by the same clock as the use cases', so "since the call started" means the same thing.
    yay.now = obs.observability.now;
    return {
      tableName,
      store,
      notifications: createNotificationStores({ tableName, client }),
      yay,
      obs,
      deps: {
        ...obs.observability,
        orders: store,
        transfers: store,
        payments: store,
        buyers: store,
        leases: store,
        yay,
        workflow: sfnWorkflowControl(new SFNClient({ region: 'eu-west-2' }), STATE_MACHINE),
        events: outbound.events,
      },
    };
  };

  beforeAll(async () => {
    harness.dynamo = await startDynalite();
  });
  afterAll(async () => {
    sfn.restore();
    outbound.restore();
    await harness.dynamo.stop();
  });
  beforeEach(async () => {
    sfn.reset();
    outbound.clear();
    const executions = new Map<string, string>();
    const started: WorkflowHarness['started'] = [];
    sfn.on(StartExecutionCommand).callsFake((input: { name: string; input?: string }) => {
      const executionArn = executionArnOf(input.name);
      if (!executions.has(executionArn)) {
        started.push({
          name: input.name,
          input: input.input === undefined ? undefined : JSON.parse(input.input),
        });
      }
      executions.set(executionArn, 'RUNNING');
      return { executionArn, startDate: new Date() };
    });
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      const status = executions.get(input.executionArn);
      if (!status) throw new ExecutionDoesNotExist({ message: 'no such execution', $metadata: {} });
      return { status, executionArn: input.executionArn };
    });
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    Object.assign(harness, { executions, started }, await harness.world());
  });
  return harness;
}
