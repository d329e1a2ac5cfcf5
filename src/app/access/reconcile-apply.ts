import { breakerVerdict } from '../../core/reconcile-breaker.js';
import { inTransaction } from '../shared/context.js';
import { enqueueMemberSync } from '../grants/grants.js';
import { applyMemberPlan } from './apply.js';
import { BREAKER_CODE } from './breaker.js';
import { recordHeldRoles } from './grant-roles.js';
import type { MemberRepair, PagePlan, PlanContext } from './reconcile-plan.js';
import { progress, type ReconcileRun } from './reconcile-run.js';
import { customersWithToken, usersWithGrantsChangedSince } from './store/grants.js';
import { pauseServer, resumeServer } from './store/servers.js';
import { writeSyncLog } from './store/sync-log.js';

const REPAIR_CONCURRENCY = 16;

/**
 * Repairs run while the next pages are read: the reader never waits for them, so while it waits on
 * List Guild Members (its own bucket), queued repairs keep using the global budget. Each repair is
 * one member's part of a plan, applied through the one writer (apply.ts). Failures are handed on:
 * a merchant failure (the writer paused the server) stops the run, anything else goes to member
 * sync, which owns retries and grant statuses.
 */
export class RepairPool {
  private queue: { repair: MemberRepair; add: string[]; remove: string[] }[] = [];
  private head = 0; // an index, not shift(): shift is O(n) per call on a long queue
  private runners = new Set<Promise<void>>();

  constructor(
    private run: ReconcileRun,
    private pc: PlanContext,
  ) {}

  schedule(repair: MemberRepair, add: string[], remove: string[]) {
    if (this.run.dryRun) return;
    this.queue.push({ repair, add, remove });
    if (this.runners.size < REPAIR_CONCURRENCY) this.spawn();
  }

  /** Waits until every queued repair ran (a task pushed while the last runner was exiting included). */
  async settle() {
    while (this.runners.size || this.head < this.queue.length) {
      if (this.runners.size === 0) this.spawn();
      await Promise.all(this.runners);
    }
    this.queue = [];
    this.head = 0;
  }

  private spawn() {
    const p: Promise<void> = this.runner().finally(() => this.runners.delete(p));
    this.runners.add(p);
  }

  private async runner() {
    for (let t = this.queue[this.head++]; t; t = this.queue[this.head++]) await this.apply(t);
    this.head = Math.min(this.head, this.queue.length);
  }

  private async apply(t: { repair: MemberRepair; add: string[]; remove: string[] }) {
    const { run } = this;
    if (run.halt.failure) return;
    const { repair } = t;
    try {
      const applied = await applyMemberPlan(
        {
          ctx: run.ctx,
          discord: run.discord,
          server: run.server,
          userId: repair.userId,
          grants: repair.grants,
          cause: run.cause,
          now: run.now,
          standing: this.pc.standing,
          held: repair.held,
        },
        { add: t.add, remove: t.remove },
      );
      const done = applied.outcome === 'not_member' ? applied.changes - 1 : applied.changes;
      run.report.repaired += done;
      repair.pending -= done;
      if (applied.outcome === 'not_member') run.toSync.add(repair.userId); // left meanwhile: member sync decides
      if (applied.outcome !== 'failed') return;
      run.report.failed += 1;
      if (applied.error.failure.owner === 'merchant') run.halt.failure ??= applied.error.failure;
      else run.toSync.add(repair.userId);
    } catch (err) {
      run.halt.unexpected ??= err;
    }
  }
}

/** Takes one page's plan: additions start at once, removals wait for the breaker, the rest is noted. */
export async function takePage(run: ReconcileRun, plan: PagePlan, pool: RepairPool) {
  const { report } = run;
  report.assignments += plan.assignments;
  for (const d of plan.drift) report.drift.push(d);
  for (const r of plan.repairs) {
    if (r.grants.length) run.repaired.push(r);
    if (r.add.length) pool.schedule(r, r.add, []);
    if (r.remove.length) run.removals.push(r);
  }
  for (const userId of plan.kicks) run.kicks.push(userId);
  for (const userId of plan.waiting) run.toSync.add(userId);
  if (plan.missing.length === 0) return;
  // Buyers with a live grant who are not in the server: member sync joins them when it can.
  const customers = new Set(plan.missing.flatMap((m) => m.grants.map((g) => g.customerId)));
  const withToken = await customersWithToken(run.ctx.db.kysely, [...customers]);
  for (const { userId, grants } of plan.missing) {
    report.drift.push({ userId, add: [], remove: [], join: true });
    if (grants.some((g) => withToken.has(g.customerId))) run.toSync.add(userId);
  }
}

/** The breaker, then the removals: a run that would remove too much removes nothing and pauses the server. */
export async function breakerThenRemovals(run: ReconcileRun, pool: RepairPool) {
  const { ctx, report, serverId } = run;
  report.removals = run.removals.reduce((n, r) => n + r.remove.length, 0) + run.kicks.length;
  const reason = breakerVerdict(report.removals, report.assignments, run.breaker, serverId);
  if (reason && !run.options.confirmRemovals) {
    report.skippedByBreaker = true;
    report.outcome = 'breaker';
    report.pauseReason = reason;
    if (!run.dryRun) await tripBreaker(run, reason);
    return;
  }
  if (run.halt.failure) return;
  progress(run, 'repair');
  if (!run.dryRun && run.server.status === 'paused' && run.breakerPaused)
    await resumeServer(ctx.db.kysely, serverId, ctx.clock.now());
  for (const r of run.removals) pool.schedule(r, [], r.remove);
  await pool.settle();
  for (const userId of run.kicks) run.toSync.add(userId);
}

async function tripBreaker(run: ReconcileRun, reason: string) {
  const { ctx, report, serverId } = run;
  const at = ctx.clock.now();
  await pauseServer(ctx.db.kysely, serverId, reason, at);
  await writeSyncLog(ctx.db.kysely, {
    serverId,
    userId: run.server.bot_user_id ?? '',
    grantId: null,
    action: 'check',
    roleId: null,
    outcome: 'skipped',
    failure: { owner: 'merchant', code: BREAKER_CODE, message: reason },
    cause: run.cause,
    at,
  });
  ctx.metrics.failures.inc({ owner: 'merchant', code: BREAKER_CODE });
  ctx.log.error(
    { serverId, removals: report.removals, assignments: report.assignments },
    'reconcile breaker tripped: server paused, nothing removed',
  );
}

/** Records what changed and hands the rest to member sync. */
export async function finish(run: ReconcileRun) {
  const { ctx, report, serverId, dryRun } = run;
  if (run.halt.unexpected) throw run.halt.unexpected;
  // Grants that changed after their page was planned may have made the plan stale (a revoke whose
  // sync already ran, a purchase): re-sync those members so the newest grants have the last word.
  if (!dryRun && report.drift.length)
    for (const userId of await usersWithGrantsChangedSince(ctx.db.kysely, serverId, run.now))
      run.toSync.add(userId);
  // After the stale-plan check above, which these writes would otherwise trip. Half-repaired members
  // (a failure, the breaker holding removals back) are recorded by member sync later.
  if (!dryRun)
    for (const r of run.repaired)
      if (r.pending <= 0) await recordHeldRoles(ctx, r.grants, r.held, { now: run.now, live: true });
  if (run.halt.failure) {
    report.outcome = 'paused';
    report.pauseReason = run.halt.failure.message;
  }
  if (!dryRun && run.toSync.size && !report.skippedByBreaker)
    await inTransaction(ctx, async (tx) => {
      for (const userId of run.toSync) await enqueueMemberSync(tx, serverId, userId, run.cause);
    });
  report.queuedSyncs = dryRun || report.skippedByBreaker ? 0 : run.toSync.size;
  report.listCalls = run.calls('listMembers');
  report.memberReads = run.calls('getMember') - run.healthMemberReads;
  report.writeCalls = run.calls('addRole', 'removeRole');
  progress(run, 'done');
}
