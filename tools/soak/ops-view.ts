/**
 * What an operator sees of a soak run — `npm run ops -- list` and `attention`, through the CLI module — compared with
 * local mode's table: the same states, and every order waiting for a person listed with its reason and command.
 */
import { writeFile } from 'node:fs/promises';
import { runOps } from '../../ops/cli';
import type { OrderView } from '../../shared/store';
import type { SoakFigures } from './figures';
import { explainedBy, type OrderEnd } from './findings';
import type { SoakPlan } from './plan-types';
import { soakOrderKey } from './webhook-common';

/** What an operator sees: `npm run ops -- list` and `attention`, through the CLI module, its output logged. */
export async function readThroughOps(
  dataDir: string,
  logFile: string,
): Promise<{ states: Map<string, string>; attention: Set<string>; codes: number[] }> {
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(line), env: {} };
  const codes = [await runOps(['list', '--data-dir', dataDir], io)];
  const listed = lines.length;
  codes.push(await runOps(['attention', '--data-dir', dataDir], io));
  await writeFile(logFile, `${lines.join('\n')}\n`);
  const states = new Map<string, string>();
  for (const line of lines.slice(0, listed)) {
    const [key, state] = line.split('  ');
    if (key && state) states.set(key, state);
  }
  const attention = new Set<string>();
  const block = lines.slice(listed);
  block.forEach((line, at) => {
    // "<order>  <state>  <reason>  since …", then its message, then "    → <the command>".
    const key = line.startsWith(' ') ? undefined : line.split('  ')[0];
    if (key && block[at + 2]?.trim().startsWith('→ ')) attention.add(key);
  });
  return { states, attention, codes };
}

export function compareWithOps(
  plan: SoakPlan,
  figures: SoakFigures,
  sent: ReadonlySet<number>,
  orders: Map<string, OrderView>,
  ops: { states: Map<string, string>; attention: Set<string>; codes: number[] },
  ends: ReadonlyMap<string, OrderEnd>,
): void {
  if (ops.codes.some((code) => code !== 0))
    figures.opsDisagreements.push(`ops exited ${ops.codes.join(', ')}`);
  for (const order of plan.orders) {
    if (!sent.has(order.index)) continue;
    const key = soakOrderKey(order);
    const found = orders.get(key);
    if (!found) continue;
    if (ops.states.get(key) !== found.state) {
      figures.opsDisagreements.push(
        `${key}: table ${found.state}, ops list ${ops.states.get(key) ?? 'absent'}`,
      );
    }
    const waiting = found.state === 'needs_attention' || found.state === 'failed';
    if (waiting && (!found.attention?.reason || !found.attention.action || !ops.attention.has(key))) {
      const end = ends.get(key);
      const finding = end && explainedBy(end, 'attention');
      figures.attentionWithoutReason.push({
        order: key,
        state: found.state,
        ...(finding ? { finding } : {}),
      });
    }
  }
}
