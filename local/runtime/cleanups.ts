/** What a start has set up so far, stopped in reverse order; one failure does not stop the rest. */
export class Cleanups {
  private readonly steps: Array<() => Promise<void> | void> = [];

  push(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Keep stopping the rest: a half-stopped runtime would hold ports and the leveldb lock.
      }
    }
  }
}
