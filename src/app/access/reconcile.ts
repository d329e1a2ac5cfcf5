import type { ReconcileOptions, ReconcileReport } from './reconcile-types.js';
import type { AppContext } from '../shared/context.js';
import { storedStanding } from './servers.js';
import { enforcedRoleIdsOf, loadServer, managedRoleIdsOf } from './store/servers.js';
import { planPage, type PlanContext } from './reconcile-plan.js';
import { readPages } from './reconcile-read.js';
import { checkHealth, progress, startRun } from './reconcile-run.js';
import { breakerThenRemovals, finish, RepairPool, takePage } from './reconcile-apply.js';
export type { MemberDrift, ReconcileOptions, ReconcileProgress, ReconcileReport } from './reconcile-types.js';
export { LIST_PAGE } from './reconcile-read.js';

/**
 * Reconcile one server: compare every member's managed roles with what the database says, and
 * repair the difference (decisions 0006, 0013). Cheap on Discord by construction: members are read
 * 1,000 per List Guild Members call, each page is planned locally from the grants of its id range,
 * and the only other calls are one PUT/DELETE per drifted role, through the one writer (apply.ts).
 * Memory stays flat in the guild's size: one page of members at a time.
 *
 *   health → read pages (reconcile-read.ts) → plan each page (reconcile-plan.ts, pure) → apply
 *   additions while reading → breaker → removals → hand the rest to member sync (reconcile-apply.ts)
 */
export async function reconcileServer(
  ctx: AppContext,
  serverId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const run = await startRun(ctx, serverId, options);
  if (run.server.status === 'removed') return { ...run.report, outcome: 'skipped' };
  progress(run, 'health');
  const problem = await checkHealth(run);
  if (problem) return { ...run.report, outcome: 'paused', pauseReason: problem };

  const db = ctx.db.kysely;
  run.server = await loadServer(db, serverId);
  run.now = ctx.clock.now();
  const pc: PlanContext = {
    managed: await managedRoleIdsOf(db, serverId),
    enforced: await enforcedRoleIdsOf(db, serverId),
    standing: await storedStanding(ctx, run.server),
    now: run.now,
  };
  const pool = new RepairPool(run, pc);
  progress(run, 'read');
  for await (const page of readPages(run)) {
    await takePage(run, planPage(page, pc), pool);
    if (run.halt.failure) break;
  }
  await pool.settle();
  await breakerThenRemovals(run, pool);
  await finish(run);
  return run.report;
}
