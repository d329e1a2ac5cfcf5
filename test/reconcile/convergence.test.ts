import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convergenceDiscord, history, runHistory } from './convergence-property.js';
import { startWorld, type World } from './world.js';

// The property and its histories live in convergence-property.ts; scripts/soak-convergence.ts runs
// the same property over ten thousand histories and counts divergences.
const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 300);

describe('convergence of reconcile', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld('sqlite', { localDiscord: convergenceDiscord });
  });
  afterAll(async () => {
    await w.stop();
  });

  it(`${RUNS} random histories end, after one reconcile, with every member's managed roles equal to their live grants' roles`, async () => {
    await fc.assert(
      fc.asyncProperty(history, async (ops) => {
        expect({ history: ops, divergences: await runHistory(w, ops) }).toEqual({
          history: ops,
          divergences: [],
        });
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
