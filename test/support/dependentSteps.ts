import { it, type TestContext } from 'node:test';

/**
 * Tests that are steps of one story (join, then share, then leave): after the first failing step
 * the later ones are skipped with its name, instead of each timing out on a state that never came.
 */
export function dependentSteps(options: { skip: string | false; timeoutMs: number }) {
  let brokenAt: string | undefined;
  return (name: string, body: (t: TestContext) => Promise<void>) =>
    it(name, { skip: options.skip, timeout: options.timeoutMs }, async (t: TestContext) => {
      if (brokenAt) {
        t.skip(`an earlier step failed: ${brokenAt}`);
        return;
      }
      try {
        await body(t);
      } catch (error) {
        brokenAt = name;
        throw error;
      }
    });
}
