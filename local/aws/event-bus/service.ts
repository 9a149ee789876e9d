/**
 * EventBridge's AWS JSON 1.1 API over the local bus: PutEvents for the handlers, and the reads an operator makes of
 * the buses, rules, targets, archives and replays.
 */
import type { AccessCheck, AccessRequest } from '../../iam/access';
import { AwsServiceError, awsJsonHandler, pageOf, requireMember } from '../aws-json';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../template/types';
import { type ArchiveState, archiveArn, type ReplayRecord, replayArn } from './archive';
import type { BusName, ListedRule, LocalEventBus, PutEventsEntry } from './bus';
import { startReplay } from './replay';

/** The bus a request names (`EventBusName`, `Name`: a name or an ARN; none is the default bus), or 404. */
function requireBus(eventBus: LocalEventBus, name: unknown): BusName {
  const bus = eventBus.busOf(name === '' ? undefined : name);
  if (!bus)
    throw new AwsServiceError('ResourceNotFoundException', `Event bus ${String(name)} does not exist.`);
  return bus;
}

/** The rule a request names on the bus it names, or 404. */
function requireRule(eventBus: LocalEventBus, name: unknown, busName: unknown): ListedRule {
  const bus = requireBus(eventBus, busName);
  const rule = eventBus.listedRules().find((r) => r.bus === bus && r.name === name);
  if (!rule) {
    throw new AwsServiceError(
      'ResourceNotFoundException',
      `Rule ${String(name)} does not exist on EventBus ${eventBus.busName(bus)}.`,
    );
  }
  return rule;
}

/** The archive a request names, or 404. */
function requireArchive(eventBus: LocalEventBus, name: unknown): ArchiveState {
  const archive = typeof name === 'string' ? eventBus.archives.archives.get(name) : undefined;
  if (!archive)
    throw new AwsServiceError('ResourceNotFoundException', `Archive ${String(name)} does not exist.`);
  return archive;
}

/** The replay a request names, or 404. */
function requireReplay(eventBus: LocalEventBus, name: unknown): ReplayRecord {
  const replay = typeof name === 'string' ? eventBus.archives.replays.get(name) : undefined;
  if (!replay)
    throw new AwsServiceError('ResourceNotFoundException', `Replay ${String(name)} does not exist.`);
  return replay;
}

/**
 * What IAM authorizes a call on. PutEvents: each entry's bus (by name or ARN, `default` when none), with the entry's
 * `events:source` and `events:detail-type`; one entry denied denies the whole call, as EventBridge does. The
 * operator's reads: the bus, rule, archive or replay they name, `*` for a listing.
 */
export function eventBridgeAccessRequests(
  operation: string,
  input: Record<string, unknown>,
): AccessRequest[] {
  const action = `events:${operation}`;
  const arn = (kind: string, name: unknown) =>
    typeof name === 'string' && name.startsWith('arn:')
      ? name
      : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${kind}/${typeof name === 'string' && name !== '' ? name : 'default'}`;
  switch (operation) {
    case 'PutEvents': {
      const entries = Array.isArray(input.Entries) ? (input.Entries as PutEventsEntry[]) : [];
      return entries.map((entry) => ({
        action,
        resource: arn('event-bus', entry.EventBusName),
        context: {
          ...(typeof entry.Source === 'string' ? { 'events:source': entry.Source } : {}),
          ...(typeof entry.DetailType === 'string' ? { 'events:detail-type': entry.DetailType } : {}),
        },
      }));
    }
    case 'DescribeEventBus':
      return [{ action, resource: arn('event-bus', input.Name) }];
    case 'DescribeRule':
    case 'ListTargetsByRule': {
      const name = String(input.Name ?? input.Rule ?? '');
      const bus = String(input.EventBusName ?? 'default');
      return [{ action, resource: arn('rule', bus === 'default' ? name : `${bus}/${name}`) }];
    }
    case 'DescribeArchive':
      return [{ action, resource: arn('archive', input.ArchiveName) }];
    case 'StartReplay':
    case 'DescribeReplay':
    case 'CancelReplay':
      return [{ action, resource: arn('replay', input.ReplayName) }];
    default:
      return [{ action, resource: '*' }];
  }
}

/**
 * PutEvents, and the reads an operator makes of the buses, their rules and targets, the archive and its replays
 * (StartReplay, DescribeReplay, ListReplays, CancelReplay), over loopback; `access` enforces IAM.
 */
export function eventBridgeService(eventBus: LocalEventBus, access?: AccessCheck) {
  const epoch = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  const paging = (scope: string) => ({
    defaultSize: 100,
    maxSize: 100,
    scope,
    invalidToken: (token: string) =>
      new AwsServiceError('ValidationException', `Invalid NextToken: ${token}`),
  });
  const buses: BusName[] = ['default', 'provisioning'];
  const describeBus = (bus: BusName) => ({
    Name: eventBus.busName(bus),
    Arn: eventBus.busArn(bus),
    ...(bus === 'provisioning' && eventBus.options.busDescription
      ? { Description: eventBus.options.busDescription }
      : {}),
    CreationTime: epoch(eventBus.createdAt),
    LastModifiedTime: epoch(eventBus.createdAt),
  });
  const describeRule = (rule: ListedRule) => ({
    Name: rule.name,
    Arn: eventBus.ruleArn(rule),
    EventPattern: JSON.stringify(rule.pattern),
    State: rule.state,
    ...(rule.description ? { Description: rule.description } : {}),
    ...(rule.managedBy ? { ManagedBy: rule.managedBy } : {}),
    EventBusName: eventBus.busName(rule.bus),
  });
  const describeArchive = (archive: ArchiveState) => ({
    ArchiveName: archive.name,
    EventSourceArn: eventBus.busArn(archive.bus),
    State: 'ENABLED',
    RetentionDays: archive.retentionDays ?? 0,
    SizeBytes: archive.sizeBytes,
    EventCount: archive.eventCount,
    CreationTime: epoch(eventBus.createdAt),
  });
  const describeReplay = (replay: ReplayRecord) => ({
    ReplayName: replay.name,
    EventSourceArn: archiveArn(replay.archiveName),
    State: replay.state,
    ...(replay.stateReason ? { StateReason: replay.stateReason } : {}),
    EventStartTime: epoch(replay.eventStartTime),
    EventEndTime: epoch(replay.eventEndTime),
    EventLastReplayedTime: epoch(replay.eventLastReplayedTime),
    ReplayStartTime: epoch(replay.replayStartTime),
    ReplayEndTime: epoch(replay.replayEndTime),
  });
  const prefixed = (name: string, prefix: unknown) => typeof prefix !== 'string' || name.startsWith(prefix);
  return awsJsonHandler({
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    ...(access
      ? {
          access: {
            check: access,
            requests: (operation, input) => eventBridgeAccessRequests(operation, input),
          },
        }
      : {}),
    operations: {
      PutEvents: async (input) => {
        const entries = input.Entries;
        if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
          throw new AwsServiceError('ValidationException', 'Entries must hold 1 to 10 events');
        }
        const results = await eventBus.accept(entries as PutEventsEntry[]);
        return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
      },
      ListEventBuses: (input) => {
        const all = buses.filter((bus) => prefixed(eventBus.busName(bus), input.NamePrefix));
        const page = pageOf(
          all,
          input.NextToken,
          input.Limit,
          paging(`buses:${String(input.NamePrefix ?? '')}`),
        );
        return { EventBuses: page.items.map(describeBus), NextToken: page.nextToken };
      },
      DescribeEventBus: (input) => describeBus(requireBus(eventBus, input.Name)),
      ListRules: (input) => {
        const bus = requireBus(eventBus, input.EventBusName);
        const all = eventBus
          .listedRules()
          .filter((rule) => rule.bus === bus && prefixed(rule.name, input.NamePrefix));
        const page = pageOf(
          all,
          input.NextToken,
          input.Limit,
          paging(`rules:${bus}:${String(input.NamePrefix ?? '')}`),
        );
        return { Rules: page.items.map(describeRule), NextToken: page.nextToken };
      },
      DescribeRule: (input) => ({
        ...describeRule(requireRule(eventBus, requireMember(input, 'Name'), input.EventBusName)),
        CreatedBy: LOCAL_ACCOUNT,
      }),
      ListTargetsByRule: (input) => {
        const rule = requireRule(eventBus, requireMember(input, 'Rule'), input.EventBusName);
        const page = pageOf(
          rule.targets,
          input.NextToken,
          input.Limit,
          paging(`targets:${rule.bus}:${rule.name}`),
        );
        return { Targets: page.items, NextToken: page.nextToken };
      },
      ListArchives: (input) => {
        const all = [...eventBus.archives.archives.values()].filter(
          (archive) =>
            prefixed(archive.name, input.NamePrefix) &&
            (input.EventSourceArn === undefined || input.EventSourceArn === eventBus.busArn(archive.bus)) &&
            (input.State === undefined || input.State === 'ENABLED'),
        );
        const page = pageOf(all, input.NextToken, input.Limit, paging(`archives:${JSON.stringify(input)}`));
        return { Archives: page.items.map(describeArchive), NextToken: page.nextToken };
      },
      DescribeArchive: (input) => {
        const archive = requireArchive(eventBus, requireMember(input, 'ArchiveName'));
        return {
          ArchiveArn: archive.arn,
          ...describeArchive(archive),
          ...(archive.description ? { Description: archive.description } : {}),
          ...(archive.pattern ? { EventPattern: JSON.stringify(archive.pattern) } : {}),
        };
      },
      StartReplay: (input) => {
        const replay = startReplay(eventBus, input);
        return {
          ReplayArn: replayArn(replay.name),
          State: 'STARTING',
          ReplayStartTime: epoch(replay.replayStartTime),
        };
      },
      DescribeReplay: (input) => {
        const replay = requireReplay(eventBus, requireMember(input, 'ReplayName'));
        return {
          ...describeReplay(replay),
          ReplayArn: replayArn(replay.name),
          ...(replay.description ? { Description: replay.description } : {}),
          Destination: replay.destination,
        };
      },
      ListReplays: (input) => {
        const all = [...eventBus.archives.replays.values()]
          .filter(
            (replay) =>
              prefixed(replay.name, input.NamePrefix) &&
              (input.State === undefined || input.State === replay.state) &&
              (input.EventSourceArn === undefined || input.EventSourceArn === archiveArn(replay.archiveName)),
          )
          .sort((a, b) => b.replayStartTime - a.replayStartTime);
        const page = pageOf(
          all,
          input.NextToken,
          input.Limit,
          paging(`replays:${JSON.stringify({ ...input, NextToken: undefined })}`),
        );
        return { Replays: page.items.map(describeReplay), NextToken: page.nextToken };
      },
      CancelReplay: (input) => {
        const replay = requireReplay(eventBus, requireMember(input, 'ReplayName'));
        if (replay.state !== 'STARTING' && replay.state !== 'RUNNING') {
          throw new AwsServiceError(
            'IllegalStatusException',
            `Replay ${replay.name} is ${replay.state} and cannot be cancelled.`,
          );
        }
        eventBus.archives.saveReplay({ ...replay, state: 'CANCELLING' });
        return { ReplayArn: replayArn(replay.name), State: 'CANCELLING' };
      },
    },
  });
}
