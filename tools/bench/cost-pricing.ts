/**
 * The cost benchmark's pricing of what one phase counted: the bundles' init times, Lambda's requests, GB-seconds,
 * cold starts and secret reads in the steady and trickle scenarios, each service's line per 1,000 orders, and a
 * schedule's cost a month — at the prices of tools/bench/prices-eu-west-2.ts, by tools/bench/cost-model.ts.
 */
import { rmSync } from 'node:fs';
import { FunctionNames } from '../../infra/names';
import { buildHandlerBundle, bundleDir, median, timeNode } from './bundles';
import { platformLogBytes } from './cost-aws-logs';
import type { Deployment } from './cost-deployment';
import { billedMs, dollars, gbSeconds, utf8Bytes } from './cost-model';
import type { RunFigures } from './cost-orders';
import type { Meter } from './cost-phase';
import { INIT_RUNS } from './cost-settings';
import { type PriceName, PriceTable } from './prices-eu-west-2';

export const price = (name: PriceName) => PriceTable.prices[name];

export interface InitTimes {
  readonly ms: ReadonlyMap<string, number>;
}

export async function measureInit(): Promise<InitTimes> {
  const dir = bundleDir();
  try {
    const ms = new Map<string, number>();
    timeNode(['-e', ''], dir);
    for (const name of FunctionNames) {
      const bundle = await buildHandlerBundle(name, dir);
      const samples = Array.from({ length: INIT_RUNS }, () =>
        timeNode(['--enable-source-maps', bundle], dir),
      );
      ms.set(name, median(samples));
    }
    return { ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Scenario = 'steady' | 'trickle';

interface LambdaFigures {
  requests: number;
  gbSeconds: number;
  initGbSeconds: number;
  coldStarts: number;
  platformLogBytes: number;
  secretCalls: number;
}

/**
 * Lambda for one phase: every invocation's billed duration at its function's memory, plus init for the cold starts
 * the scenario has: `steady`, one per concurrent environment the run needed (the measured peak, kept warm by the
 * stream); `trickle`, every invocation (orders far enough apart that every environment has been reclaimed). A cold
 * environment reads each secret once (the cache keeps it 300 s): steady, each of the function's secrets per cold
 * start; trickle, each secret every invocation asked for.
 */
export function lambdaFigures(m: Meter, d: Deployment, init: InitTimes, scenario: Scenario): LambdaFigures {
  const figures: LambdaFigures = {
    requests: 0,
    gbSeconds: 0,
    initGbSeconds: 0,
    coldStarts: 0,
    platformLogBytes: 0,
    secretCalls: 0,
  };
  const count = new Map<string, number>();
  for (const call of m.invocations) {
    const memory = d.functions.get(call.fn)?.memoryMb ?? 512;
    figures.requests += 1;
    if (scenario === 'trickle') figures.secretCalls += call.secrets;
    figures.gbSeconds += gbSeconds(billedMs(call.ms), memory);
    figures.platformLogBytes += platformLogBytes(call.ms, memory);
    count.set(call.fn, (count.get(call.fn) ?? 0) + 1);
  }
  for (const [fn, invocations] of count) {
    const memory = d.functions.get(fn)?.memoryMb ?? 512;
    // The price table holds arm64's rate only: a function on x86_64 would be priced wrong, so stop instead.
    if (d.functions.get(fn)?.architecture !== 'arm64')
      throw new Error(`${fn} is not arm64: price it before use`);
    const cold = scenario === 'steady' ? (m.peak.get(fn) ?? 1) : invocations;
    const initMs = init.ms.get(fn) ?? 0;
    figures.coldStarts += cold;
    figures.initGbSeconds += cold * gbSeconds(billedMs(initMs), memory);
    figures.platformLogBytes += cold * utf8Bytes(`Init Duration: ${initMs.toFixed(2)} ms\t`);
    if (scenario === 'steady') figures.secretCalls += cold * (m.secretReads.get(fn)?.size ?? 0);
  }
  return figures;
}

interface Line {
  service: string;
  counted: string;
  steady: number;
  trickle: number;
}

export function orderLines(m: Meter, run: RunFigures, d: Deployment, init: InitTimes): Line[] {
  const scale = 1000 / run.orders;
  const per = (count: number, name: PriceName) => dollars(count * scale, price(name));
  const steady = lambdaFigures(m, d, init, 'steady');
  const trickle = lambdaFigures(m, d, init, 'trickle');
  const functionLogBytes = [...m.logBytes.values()].reduce((a, b) => a + b, 0);
  const logBytes = (lambda: LambdaFigures) =>
    functionLogBytes + lambda.platformLogBytes + m.sfnLogBytes + run.accessLogBytes + m.outboundLogBytes;
  const GB = 1024 ** 3;
  const logs = (lambda: LambdaFigures) => per(logBytes(lambda) / GB, 'logsIngestedGb');
  const stored = (lambda: LambdaFigures) =>
    per(((logBytes(lambda) / GB) * d.logRetentionDays) / 30, 'logsStoredGbMonth');
  const traces = m.invocations.filter((call) => call.root).length;
  const dyn = m.dynamo;
  const writes = dyn.reportedWrite + dyn.indexWrite + dyn.failedConditionWrite;
  const perOrder = (count: number) => (count / run.orders).toFixed(count / run.orders < 10 ? 2 : 1);
  return [
    {
      service: 'Step Functions (Standard)',
      counted: `${perOrder(m.transitions)} state transitions`,
      steady: per(m.transitions, 'stateTransition'),
      trickle: per(m.transitions, 'stateTransition'),
    },
    {
      service: 'Lambda requests',
      counted: `${perOrder(steady.requests)} invocations`,
      steady: per(steady.requests, 'lambdaRequest'),
      trickle: per(trickle.requests, 'lambdaRequest'),
    },
    {
      service: 'Lambda duration (arm64, incl. init)',
      counted: `${perOrder(steady.gbSeconds + steady.initGbSeconds)} / ${perOrder(trickle.gbSeconds + trickle.initGbSeconds)} GB-s`,
      steady: per(steady.gbSeconds + steady.initGbSeconds, 'lambdaArmGbSecond'),
      trickle: per(trickle.gbSeconds + trickle.initGbSeconds, 'lambdaArmGbSecond'),
    },
    {
      service: 'DynamoDB writes',
      counted: `${perOrder(writes)} WRU (${perOrder(dyn.indexWrite)} of them index)`,
      steady: per(writes, 'dynamoWriteUnit'),
      trickle: per(writes, 'dynamoWriteUnit'),
    },
    {
      service: 'DynamoDB reads',
      counted: `${perOrder(dyn.reportedRead)} RRU`,
      steady: per(dyn.reportedRead, 'dynamoReadUnit'),
      trickle: per(dyn.reportedRead, 'dynamoReadUnit'),
    },
    {
      service: 'EventBridge events (+ archive)',
      counted: `${perOrder(m.customEventChunks)} events, ${(m.archivedBytes / run.orders / 1024).toFixed(1)} KB archived`,
      steady: per(m.customEventChunks, 'customEvent') + per(m.archivedBytes / GB, 'archiveGb'),
      trickle: per(m.customEventChunks, 'customEvent') + per(m.archivedBytes / GB, 'archiveGb'),
    },
    {
      service: 'API Gateway (HTTP API)',
      counted: `${perOrder(run.requests)} webhook requests`,
      steady: per(run.requests, 'httpApiRequest'),
      trickle: per(run.requests, 'httpApiRequest'),
    },
    {
      service: 'Secrets Manager calls',
      counted: `${perOrder(steady.secretCalls)} / ${perOrder(trickle.secretCalls)} calls`,
      steady: per(steady.secretCalls, 'secretsApiCall'),
      trickle: per(trickle.secretCalls, 'secretsApiCall'),
    },
    {
      service: 'SES',
      counted: `${perOrder(m.sesMessages)} e-mails`,
      steady: per(m.sesMessages, 'sesMessage'),
      trickle: per(m.sesMessages, 'sesMessage'),
    },
    {
      service: `CloudWatch Logs (ingest + ${d.logRetentionDays} d kept)`,
      counted: `${(logBytes(steady) / run.orders / 1024).toFixed(1)} / ${(logBytes(trickle) / run.orders / 1024).toFixed(1)} KB`,
      steady: logs(steady) + stored(steady),
      trickle: logs(trickle) + stored(trickle),
    },
    {
      service: 'X-Ray',
      counted: `${perOrder(traces)} traces`,
      steady: per(traces, 'xrayTrace'),
      trickle: per(traces, 'xrayTrace'),
    },
  ];
}

/** Per month, one schedule's runs at what one measured run used. */
export function scheduleMonthly(
  m: Meter,
  d: Deployment,
  init: InitTimes,
  runs: number,
  egress: boolean,
): number {
  const lambda = lambdaFigures(m, d, init, 'trickle');
  const GB = 1024 ** 3;
  const logBytes =
    [...m.logBytes.values()].reduce((a, b) => a + b, 0) + lambda.platformLogBytes + m.outboundLogBytes;
  const writes = m.dynamo.reportedWrite + m.dynamo.indexWrite + m.dynamo.failedConditionWrite;
  const one =
    dollars(lambda.requests, price('lambdaRequest')) +
    dollars(lambda.gbSeconds + lambda.initGbSeconds, price('lambdaArmGbSecond')) +
    dollars(writes, price('dynamoWriteUnit')) +
    dollars(m.dynamo.reportedRead, price('dynamoReadUnit')) +
    dollars(lambda.secretCalls, price('secretsApiCall')) +
    dollars(logBytes / GB, price('logsIngestedGb')) +
    dollars(m.invocations.filter((call) => call.root).length, price('xrayTrace')) +
    dollars(1, price('schedulerInvocation')) +
    dollars(m.customEventChunks, price('customEvent')) +
    (egress ? dollars(m.yayBytes / GB, price('natGatewayGb')) : 0);
  return one * runs;
}
