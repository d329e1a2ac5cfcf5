import { isLive, planMemberSync } from '../../core/desired-roles.js';
import { FailureError, type Failure } from '../../core/failure.js';
import { roleProblem } from '../../core/role-grantability.js';
import { breakerVerdict } from '../../core/reconcile-breaker.js';
import type { ReconcileOptions, ReconcileProgress, ReconcileReport, Task } from './reconcile-types.js';
export type { MemberDrift, ReconcileOptions, ReconcileProgress, ReconcileReport } from './reconcile-types.js';
import { requireDiscord } from '../shared/services.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { enqueueMemberSync } from '../grants/grants.js';
import {
  BREAKER_CODE,
  customersWithToken,
  enforcedRoleIdsOf,
  loadServerGrants,
  pausedByBreaker,
  counting,
  grantFor,
  reasonFor,
  writeSyncLog,
} from './reconcile-data.js';
import { recordRepairedGrantRoles, type RepairedMember } from './reconcile-granted.js';
import { healServer } from './heal.js';
import {
  loadServer,
  managedRoleIdsOf,
  pauseServer,
  readGuild,
  refreshServer,
  resumeServer,
  serverHealth,
  storedStanding,
} from './servers.js';

/**
 * Reconcile one server: compare every member's managed roles with what the database says, and
 * repair the difference. Cheap on Discord by construction: members are read 1,000 per List Guild
 * Members call, the plan is computed locally from grants loaded in bulk, and the only other calls
 * are one PUT/DELETE per drifted role. See docs/decisions/0006-reconcile.md.
 */

export const LIST_PAGE = 1000;
const REPAIR_CONCURRENCY = 16;

export async function reconcileServer(
  ctx: AppContext,
  serverId: string,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const db = ctx.db.kysely;
  const dryRun = options.dryRun ?? false;
  const cause = options.cause ?? 'reconcile';
  const breaker = options.breaker ?? {
    maxRemovals: ctx.config.RECONCILE_BREAKER_MAX_REMOVALS,
    maxShare: ctx.config.RECONCILE_BREAKER_MAX_SHARE,
  };
  const counts = new Map<string, number>();
  const discord = counting(requireDiscord(ctx), counts);
  const calls = (...names: string[]) => names.reduce((n, k) => n + (counts.get(k) ?? 0), 0);
  let server = await loadServer(db, serverId);
  const report: ReconcileReport = {
    serverId,
    guildId: server.guild_id,
    dryRun,
    outcome: 'done',
    pauseReason: null,
    healed: false,
    membersIntent: server.members_intent === 1,
    membersRead: 0,
    listCalls: 0,
    memberReads: 0,
    healthCalls: 0,
    writeCalls: 0,
    drift: [],
    assignments: 0,
    removals: 0,
    repaired: 0,
    failed: 0,
    queuedSyncs: 0,
    skippedByBreaker: false,
  };
  const progress = (phase: ReconcileProgress['phase'], expected: number | null = null) =>
    options.onProgress?.({ phase, membersRead: report.membersRead, expected, repaired: report.repaired });
  if (server.status === 'removed') return { ...report, outcome: 'skipped' };

  // ---- 1. Health first: no member call for a server whose setup is broken. ----
  progress('health');
  const healthPort = { ...ctx, ports: { ...ctx.ports, discord } };
  const breakerPaused = await pausedByBreaker(db, server);
  let problem: string | null = null;
  try {
    if (dryRun) {
      const snap = await readGuild(discord, server.guild_id);
      const managed = await managedRoleIdsOf(db, serverId);
      for (const id of managed) {
        const p = roleProblem(id, snap.roles, snap.standing);
        if (p) problem ??= p.message;
      }
    } else if (server.status === 'paused' && !breakerPaused) {
      report.healed = await healServer(healthPort, serverId);
      server = await loadServer(db, serverId);
      if (!report.healed) problem = server.pause_reason ?? 'The server is paused until its setup is fixed.';
    } else {
      await refreshServer(healthPort, serverId);
      const health = await serverHealth(ctx, serverId);
      const first = health.roles.find((r) => r.problem)?.problem;
      if (first) {
        problem = first.message;
        await pauseServer(db, serverId, first.message, ctx.clock.now());
      }
    }
  } catch (err) {
    if (!(err instanceof FailureError) || err.failure.owner === 'retry') throw err;
    problem = err.failure.message;
    if (!dryRun && err.failure.owner === 'merchant')
      await pauseServer(db, serverId, problem, ctx.clock.now());
  }
  report.healthCalls = calls('getBotUser', 'getGuild', 'getMember');
  const healthMemberReads = calls('getMember');
  if (problem) return { ...report, outcome: 'paused', pauseReason: problem };
  server = await loadServer(db, serverId);

  // ---- 2. Everything the plan needs, in bulk. ----
  const now = ctx.clock.now();
  const managed = await managedRoleIdsOf(db, serverId);
  const enforced = await enforcedRoleIdsOf(db, serverId);
  const grantsByUser = await loadServerGrants(db, serverId);
  const { roles, bot } = await storedStanding(db, server);
  const seen = new Set<string>();
  const removals: Task[] = [];
  const kicks: string[] = [];
  const toSync = new Set<string>();
  const repairedMembers = new Map<string, RepairedMember>();
  // Written from inside the repair tasks, so held in an object (TS cannot see closure writes to a let).
  const halt: { failure: Failure | null; unexpected: unknown } = { failure: null, unexpected: null };

  // ---- 3. Repairs run while the next pages are read (additions are always safe to apply). ----
  // The reader never waits for repairs: while it waits on List Guild Members (its own bucket), queued
  // repairs keep using the global budget. Tasks are small and bounded by the drift.
  const queue: Task[] = [];
  const runners = new Set<Promise<void>>();
  const run = async (t: Task) => {
    if (halt.failure) return;
    try {
      if (t.action === 'add_role')
        await discord.addRole(server.guild_id, t.userId, t.roleId, reasonFor(t.grantId, cause));
      else await discord.removeRole(server.guild_id, t.userId, t.roleId, reasonFor(t.grantId, cause));
      report.repaired += 1;
      const member = repairedMembers.get(t.userId);
      if (member) {
        member.pending -= 1;
        if (t.action === 'add_role') member.roles.add(t.roleId);
        else member.roles.delete(t.roleId);
      }
      await writeSyncLog(db, {
        serverId,
        userId: t.userId,
        grantId: t.grantId,
        action: t.action,
        roleId: t.roleId,
        outcome: 'ok',
        cause,
        at: ctx.clock.now(),
      });
    } catch (err) {
      if (!(err instanceof FailureError)) {
        halt.unexpected ??= err;
        return;
      }
      report.failed += 1;
      const f = err.failure;
      if (f.owner === 'merchant' && !halt.failure) {
        halt.failure = f;
        await pauseServer(db, serverId, f.message, ctx.clock.now());
      } else toSync.add(t.userId); // member sync owns retries and customer failures
      await writeSyncLog(db, {
        serverId,
        userId: t.userId,
        grantId: t.grantId,
        action: t.action,
        roleId: t.roleId,
        outcome: 'failed',
        errorCode: f.code,
        errorOwner: f.owner,
        message: f.message,
        cause,
        at: ctx.clock.now(),
      });
    }
  };
  let head = 0; // an index, not shift(): shift is O(n) per call on a long queue
  const runner = async () => {
    for (let t = queue[head++]; t; t = queue[head++]) await run(t);
    head = Math.min(head, queue.length);
  };
  const spawn = () => {
    const p: Promise<void> = runner().finally(() => runners.delete(p));
    runners.add(p);
  };
  const schedule = (t: Task) => {
    if (dryRun) return;
    queue.push(t);
    if (runners.size < REPAIR_CONCURRENCY) spawn();
  };
  /** Waits until every queued repair ran (a task pushed while the last runner was exiting included). */
  const settle = async () => {
    while (runners.size || head < queue.length) {
      if (runners.size === 0) spawn();
      await Promise.all(runners);
    }
  };

  const examine = async (userId: string, roleIds: readonly string[]) => {
    const grants = grantsByUser.get(userId);
    if (grants) seen.add(userId);
    let held = 0;
    for (const r of roleIds) if (managed.has(r)) held += 1;
    report.assignments += held;
    if (!grants && (held === 0 || !roleIds.some((r) => enforced.has(r)))) return; // the common case: nothing of ours
    let userManaged: Set<string> = managed;
    for (const g of grants ?? [])
      for (const r of g.grantedRoleIds)
        if (!userManaged.has(r)) {
          if (userManaged === managed) userManaged = new Set(managed);
          userManaged.add(r);
        }
    const plan = planMemberSync({
      grants: grants ?? [],
      managedRoleIds: userManaged,
      enforcedRoleIds: enforced,
      memberRoleIds: roleIds,
      now,
    });
    // A role the bot cannot touch (deleted since the grant) is not drift reconcile can fix.
    const add = plan.add.filter((r) => !roleProblem(r, roles, bot));
    const remove = plan.remove.filter((r) => !roleProblem(r, roles, bot));
    if (plan.kick) {
      kicks.push(userId);
      report.drift.push({ userId, add: [], remove: [], kick: true });
      return;
    }
    if (add.length || remove.length) {
      report.drift.push({ userId, add, remove });
      if (grants)
        repairedMembers.set(userId, { grants, roles: new Set(roleIds), pending: add.length + remove.length });
    }
    for (const roleId of remove)
      removals.push({ userId, roleId, action: 'remove_role', grantId: grantFor(grants ?? [], roleId, now) });
    for (const roleId of add)
      schedule({ userId, roleId, action: 'add_role', grantId: grantFor(grants ?? [], roleId, now) });
    // A live grant still waiting for its delivered status: member sync records it (one GET later).
    if (grants?.some((g) => isLive(g, now) && g.status !== 'delivered')) toSync.add(userId);
  };

  // ---- 4. Read the members: 1,000 per call, or one GET per buyer without the members intent. ----
  progress('read');
  let fallback = server.members_intent !== 1 && !options.retryMembersIntent;
  if (!fallback) {
    let after: string | undefined;
    for (;;) {
      let page;
      try {
        page = await discord.listMembers(server.guild_id, { limit: LIST_PAGE, ...(after ? { after } : {}) });
      } catch (err) {
        if (err instanceof FailureError && err.failure.code === 'missing_access') {
          // The guild itself answered the health check, so this 403 is the privileged intent being off.
          fallback = true;
          report.membersIntent = false;
          if (!dryRun)
            await db
              .updateTable('servers')
              .set({ members_intent: 0, updated_at: now })
              .where('id', '=', serverId)
              .execute();
          ctx.log.warn({ serverId }, 'members intent is off: reconcile reads buyers one by one');
          break;
        }
        throw err;
      }
      if (after === undefined && server.members_intent !== 1) {
        // The intent is back on (a retried list answered): record it so scheduled runs use it again.
        report.membersIntent = true;
        if (!dryRun)
          await db
            .updateTable('servers')
            .set({ members_intent: 1, updated_at: now })
            .where('id', '=', serverId)
            .execute();
      }
      for (const m of page) {
        await examine(m.userId, m.roleIds);
        if (after === undefined || BigInt(m.userId) > BigInt(after)) after = m.userId;
      }
      report.membersRead += page.length;
      progress('read');
      if (page.length < LIST_PAGE || halt.failure) break;
    }
  }
  report.listCalls = calls('listMembers');
  if (fallback) {
    const users = [...grantsByUser.keys()].filter((u) => !seen.has(u));
    for (const userId of users) {
      if (halt.failure) break;
      const member = await discord.getMember(server.guild_id, userId);
      if (member) {
        report.membersRead += 1;
        await examine(member.userId, member.roleIds);
      }
      progress('read', users.length);
    }
  }
  report.memberReads = calls('getMember') - healthMemberReads;

  // ---- 5. Buyers with a live grant who are not in the server: member sync joins them when it can. ----
  const missing: string[] = [];
  for (const [userId, grants] of grantsByUser)
    if (!seen.has(userId) && grants.some((g) => isLive(g, now))) missing.push(userId);
  if (missing.length) {
    const customers = missing.flatMap((u) => grantsByUser.get(u)?.map((g) => g.customerId) ?? []);
    const withToken = await customersWithToken(db, [...new Set(customers)]);
    for (const userId of missing) {
      report.drift.push({ userId, add: [], remove: [], join: true });
      if (grantsByUser.get(userId)?.some((g) => withToken.has(g.customerId))) toSync.add(userId);
    }
  }
  await settle();

  // ---- 6. The breaker, then removals. ----
  report.removals = removals.length + kicks.length;
  const reason = breakerVerdict(report.removals, report.assignments, breaker, serverId);
  if (reason && !options.confirmRemovals) {
    report.skippedByBreaker = true;
    report.outcome = 'breaker';
    report.pauseReason = reason;
    if (!dryRun) {
      const at = ctx.clock.now();
      await pauseServer(db, serverId, reason, at);
      await writeSyncLog(db, {
        serverId,
        userId: server.bot_user_id ?? '',
        grantId: null,
        action: 'check',
        roleId: null,
        outcome: 'skipped',
        errorCode: BREAKER_CODE,
        errorOwner: 'merchant',
        message: reason,
        cause,
        at,
      });
      ctx.metrics.failures.inc({ owner: 'merchant', code: BREAKER_CODE });
      ctx.log.error(
        { serverId, removals: report.removals, assignments: report.assignments },
        'reconcile breaker tripped: server paused, nothing removed',
      );
    }
  } else if (!halt.failure) {
    progress('repair');
    if (!dryRun && server.status === 'paused' && breakerPaused)
      await resumeServer(db, serverId, ctx.clock.now());
    for (const t of removals) await schedule(t);
    await settle();
    for (const userId of kicks) toSync.add(userId);
  }
  if (halt.unexpected) throw halt.unexpected;
  // Grants that changed after the bulk load may have made this run's plan stale (a revoke whose
  // sync already ran, a purchase): re-sync those members so the newest grants have the last word.
  if (!dryRun && report.drift.length) {
    const changed = await db
      .selectFrom('grants')
      .innerJoin('customers', 'customers.id', 'grants.customer_id')
      .select('customers.discord_user_id as userId')
      .distinct()
      .where('grants.server_id', '=', serverId)
      .where('grants.updated_at', '>=', now)
      .where('customers.discord_user_id', 'is not', null)
      .execute();
    for (const { userId } of changed) if (userId) toSync.add(userId);
  }
  // After the stale-plan check above, which these writes would otherwise trip.
  if (!dryRun) await recordRepairedGrantRoles(ctx, repairedMembers.values(), now);
  const halted = halt.failure;
  if (halted) {
    report.outcome = 'paused';
    report.pauseReason = halted.message;
  }
  if (!dryRun && toSync.size && !report.skippedByBreaker)
    await inTransaction(ctx, async (tx) => {
      for (const userId of toSync) await enqueueMemberSync(tx, serverId, userId, cause);
    });
  report.queuedSyncs = dryRun || report.skippedByBreaker ? 0 : toSync.size;
  report.writeCalls = calls('addRole', 'removeRole');
  progress('done');
  return report;
}
