/**
 * The chaos of the soak's plan: the Yay fault programme (one shuffled cycle of every fault kind, a calm phase after
 * each) and the moments local mode is killed (spread over the deliveries).
 */
import type { SandboxRoute } from '../../local/yay-sandbox/server';
import type { Draw } from './plan-draw';
import type { FaultPhase, KillPoint } from './plan-types';

/**
 * One cycle of fault phases, each kind at least once, shuffled, a calm phase between any two so the retries a
 * phase causes (capped by LOCAL_MAX_WAIT_SECONDS) never run out before Yay recovers. Interrupt phases
 * (drop, truncate, 500 after apply) end once their interruptions have fired, or after their duration.
 */
export function planFaults(draw: Draw): FaultPhase[] {
  const route = (): SandboxRoute => draw.pick(['create', 'transfer'] as const);
  const interrupt = (field: 'dropNext' | 'truncateNext' | 'errorAfterApplyNext', on: SandboxRoute) => ({
    [field]: { route: on, count: draw.int(1, 3) },
  });
  const faulty: FaultPhase[] = [
    {
      label: 'latency spike',
      faults: { latencyMs: draw.int(300, 1_200) },
      durationMs: draw.int(2_000, 5_000),
      kinds: ['delayed'],
    },
    {
      label: '5xx before applying',
      faults: { errorRate: 0.1 + draw.float() * 0.2, errorSeed: draw.int(1, 1_000_000) },
      durationMs: draw.int(3_000, 5_000),
      kinds: ['injected-error'],
    },
    {
      label: '5xx after applying a transfer',
      faults: interrupt('errorAfterApplyNext', 'transfer'),
      durationMs: 6_000,
      kinds: ['error-after-apply'],
    },
    {
      label: '5xx after applying a create',
      faults: interrupt('errorAfterApplyNext', 'create'),
      durationMs: 6_000,
      kinds: ['error-after-apply'],
    },
    {
      label: 'answer dropped after a create',
      faults: interrupt('dropNext', 'create'),
      durationMs: 6_000,
      kinds: ['dropped'],
    },
    {
      label: 'answer dropped after a transfer',
      faults: interrupt('dropNext', 'transfer'),
      durationMs: 6_000,
      kinds: ['dropped'],
    },
    {
      label: 'answer cut short',
      faults: interrupt('truncateNext', route()),
      durationMs: 6_000,
      kinds: ['truncated'],
    },
    {
      label: '429 burst',
      faults: { maxConcurrent: draw.int(1, 3) },
      durationMs: draw.int(2_000, 4_000),
      kinds: ['rate-limited'],
    },
    {
      label: 'latency and 429',
      faults: { latencyMs: draw.int(200, 600), maxConcurrent: draw.int(2, 4) },
      durationMs: draw.int(2_000, 3_000),
      kinds: ['delayed', 'rate-limited'],
    },
    {
      label: 'customer balance unavailable',
      faults: { balanceUnavailableForMs: draw.int(2_000, 5_000) },
      durationMs: 5_000,
      kinds: ['balance-unavailable'],
    },
  ];
  const phases: FaultPhase[] = [];
  for (const phase of draw.shuffle(faulty)) {
    phases.push(phase, { label: 'calm', faults: {}, durationMs: draw.int(1_500, 4_000), kinds: [] });
  }
  return phases;
}

/** Kills spread over the deliveries: one in each of `count` equal stretches of the middle 80%. */
export function planKills(draw: Draw, count: number, deliveries: number): KillPoint[] {
  const kills: KillPoint[] = [];
  const from = deliveries * 0.1;
  const span = (deliveries * 0.8) / Math.max(1, count);
  for (let i = 0; i < count; i += 1) {
    kills.push({
      afterDeliveries: Math.max(1, Math.floor(from + span * i + draw.float() * span)),
      delayMs: draw.int(0, 1_500),
      downMs: draw.int(0, 2_000),
    });
  }
  return kills;
}
