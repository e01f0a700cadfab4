// Everything the demo started, stopped in reverse order however far the demo got: a step that
// fails half-way must not leave a server, a connection or the daemon behind.

export class Cleanup {
  private readonly steps: { readonly name: string; readonly run: () => Promise<void> }[] = [];

  add(name: string, run: () => Promise<void>): void {
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
}
