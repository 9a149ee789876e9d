/**
 * The seeded random source of the soak's plan: the few draws the generator needs, all from one seed, so the same
 * parameters give the same plan.
 */
import { seededRandom } from '../../local/yay-sandbox/faults';

/** A seeded random source with the few draws the generator needs. */
export class Draw {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(options: readonly (readonly [T, number])[]): T {
    const total = options.reduce((sum, [, weight]) => sum + weight, 0);
    let at = this.next() * total;
    for (const [value, weight] of options) {
      at -= weight;
      if (at < 0) return value;
    }
    return (options[options.length - 1] as readonly [T, number])[0];
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)] as T;
  }
  shuffle<T>(values: T[]): T[] {
    for (let i = values.length - 1; i > 0; i -= 1) {
      const j = Math.floor(this.next() * (i + 1));
      [values[i], values[j]] = [values[j] as T, values[i] as T];
    }
    return values;
  }
  /** A token of base-36 letters and digits, for ids. */
  token(length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += Math.floor(this.next() * 36).toString(36);
    return out;
  }
}
