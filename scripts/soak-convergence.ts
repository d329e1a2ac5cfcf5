// Soak run of the convergence property (not part of CI): plays N random histories (default 10,000)
// against a real Rolegate and the local Discord, each followed by one reconcile, and counts the
// histories after which some member's managed roles differ from their live grants' roles.
//
//   npx tsx scripts/soak-convergence.ts [runs] [seed]
//
// Prints progress, then `N histories, D divergences, <seconds> s wall (seed S)`; exits 1 when D > 0
// and prints the first diverging histories so they can be replayed with the same seed.
import fc from 'fast-check';
import {
  convergenceDiscord,
  history,
  runHistory,
  type Divergence,
  type Op,
} from '../test/reconcile/convergence-property.js';
import { startWorld, type World } from '../test/reconcile/world.js';

const runs = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? Date.now() % 2_147_483_647);
/** A fresh world (database and local Discord) every so many histories keeps memory and tables small. */
const HISTORIES_PER_WORLD = 500;
const SHOW = 5;

const started = Date.now();
const histories = fc.sample(history, { numRuns: runs, seed });
const diverged: { index: number; ops: Op[]; found: Divergence[] }[] = [];
let errors = 0;
let world: World | undefined;
for (const [index, ops] of histories.entries()) {
  if (index % HISTORIES_PER_WORLD === 0) {
    await world?.stop();
    world = await startWorld('sqlite', { localDiscord: convergenceDiscord });
  }
  try {
    const found = await runHistory(world!, ops);
    if (found.length > 0) diverged.push({ index, ops, found });
  } catch (err) {
    errors++;
    diverged.push({
      index,
      ops,
      found: [{ userId: '-', outcome: `threw: ${String(err)}`, actual: [], desired: [] }],
    });
  }
  if ((index + 1) % 500 === 0)
    console.log(
      `${index + 1}/${runs} histories, ${diverged.length} divergences, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
}
await world?.stop();

for (const d of diverged.slice(0, SHOW)) console.log(JSON.stringify(d));
const wall = ((Date.now() - started) / 1000).toFixed(1);
console.log(
  `${runs} histories, ${diverged.length} divergences (${errors} threw), ${wall} s wall (seed ${seed})`,
);
process.exit(diverged.length > 0 ? 1 : 0);
