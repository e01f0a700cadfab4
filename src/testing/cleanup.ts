// Everything a test or the demo started, stopped in reverse order however far it got: a step that
// fails half-way must not leave a server, a connection or a daemon behind.

export class Cleanup {
  private readonly steps: { readonly name: string; readonly run: () => unknown }[] = [];

  add(name: string, run: () => unknown): void {
    this.steps.push({ name, run });
  }

  /** Runs every step, last added first, even when one fails; returns what failed. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        failures.push(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures;
  }

  /** The same, throwing when a step failed: for a test's `after` hook. */
  async runOrThrow(): Promise<void> {
    const failures = await this.run();
    if (failures.length > 0) throw new Error(`cleanup failed: ${failures.join("; ")}`);
  }
}
