import { FailureError, type Failure } from '../../core/failure.js';
import type { SyncGrant } from '../../core/desired-roles.js';
import type { DiscordPort } from '../../core/ports/discord.js';
import { roleProblem, type BotStanding, type RoleInfo } from '../../core/role-grantability.js';
import type { AppContext } from '../shared/context.js';
import { auditReason, grantFor } from './access-grant.js';
import { pauseServer } from './store/servers.js';
import { writeSyncLog, type SyncAction } from './store/sync-log.js';

/**
 * The one Discord role writer (decision 0013). Member sync and reconcile both apply a member's plan
 * through `applyMemberPlan`: pre-check every role against the stored snapshot (a role the bot cannot
 * touch costs no call), one per-role PUT/DELETE per change (never PATCH of the role list, 0004),
 * one sync-log row per call, and the owner's reaction to a failure: a merchant failure pauses the
 * server (before its log row, so the heal task sees the row). What happens to the grants, or who
 * retries, is the caller's (member sync marks grants and lets the queue retry; reconcile hands the
 * member to member sync).
 */

/** One member as the writer needs it. */
export interface MemberTarget {
  ctx: AppContext;
  discord: DiscordPort;
  server: { id: string; guild_id: string };
  userId: string;
  /** The member's grants: they name the grant in the audit reason and the sync log. */
  grants: readonly SyncGrant[];
  cause: string;
  now: number;
  standing: { roles: RoleInfo[]; bot: BotStanding };
  /** The member's roles as far as known; the writer keeps it up to date. */
  held: Set<string>;
}

export interface FailedStep {
  action: SyncAction;
  roleId?: string | null;
  grantId: string | null;
}

export type Applied =
  | { outcome: 'ok' | 'not_member'; changes: number }
  | { outcome: 'failed'; changes: number; error: FailureError; at: FailedStep };

/**
 * Records a failed step: a merchant failure pauses the server first, then the sync-log row. Anything
 * but a FailureError is a bug and is thrown as is.
 */
export async function recordFailure(
  ctx: AppContext,
  target: { serverId: string; userId: string; cause: string },
  err: unknown,
  at: FailedStep,
): Promise<FailureError> {
  if (!(err instanceof FailureError)) throw err;
  const failure = err.failure;
  if (failure.owner === 'merchant')
    await pauseServer(ctx.db.kysely, target.serverId, failure.message, ctx.clock.now());
  await writeSyncLog(ctx.db.kysely, {
    serverId: target.serverId,
    userId: target.userId,
    grantId: at.grantId,
    action: at.action,
    roleId: at.roleId ?? null,
    outcome: 'failed',
    failure,
    cause: target.cause,
    at: ctx.clock.now(),
  });
  return err;
}

/** The first role of the plan the bot cannot touch (a missing role to remove is not one: DELETE is harmless). */
function precheck(t: MemberTarget, add: readonly string[], remove: readonly string[]) {
  for (const roleId of [...add, ...remove]) {
    const problem = roleProblem(roleId, t.standing.roles, t.standing.bot);
    if (!problem) continue;
    if (problem.code === 'role_missing' && remove.includes(roleId)) continue;
    const failure: Failure = { owner: 'merchant', code: problem.code, message: problem.message };
    const action: SyncAction = remove.includes(roleId) ? 'remove_role' : 'add_role';
    return { failure, at: { action, roleId, grantId: grantFor(t.grants, roleId, t.now) } };
  }
  return null;
}

/** One PUT or DELETE of one role, logged. */
async function writeRole(
  t: MemberTarget,
  action: 'add_role' | 'remove_role',
  roleId: string,
): Promise<'ok' | 'not_member' | { error: FailureError; at: FailedStep }> {
  const grantId = grantFor(t.grants, roleId, t.now);
  const reason = auditReason(grantId, t.cause);
  try {
    if (action === 'add_role') {
      const outcome = await t.discord.addRole(t.server.guild_id, t.userId, roleId, reason);
      if (outcome === 'not_member') return 'not_member';
      t.held.add(roleId);
    } else {
      await t.discord.removeRole(t.server.guild_id, t.userId, roleId, reason);
      t.held.delete(roleId);
    }
  } catch (err) {
    const at = { action, roleId, grantId };
    return { error: await recordFailure(t.ctx, logTarget(t), err, at), at };
  }
  await writeSyncLog(t.ctx.db.kysely, {
    serverId: t.server.id,
    userId: t.userId,
    grantId,
    action,
    roleId,
    outcome: 'ok',
    cause: t.cause,
    at: t.ctx.clock.now(),
  });
  return 'ok';
}

/**
 * Pre-checks a plan against the stored snapshot without a call: a role the bot cannot touch is a
 * merchant failure, recorded (the server pauses). Null when every role is fine.
 */
export async function precheckPlan(
  t: MemberTarget,
  plan: { add: readonly string[]; remove: readonly string[] },
): Promise<Extract<Applied, { outcome: 'failed' }> | null> {
  const problem = precheck(t, plan.add, plan.remove);
  if (!problem) return null;
  const error = await recordFailure(t.ctx, logTarget(t), new FailureError(problem.failure), problem.at);
  return { outcome: 'failed', changes: 0, error, at: problem.at };
}

const logTarget = (t: MemberTarget) => ({ serverId: t.server.id, userId: t.userId, cause: t.cause });

/**
 * Applies one member's plan: additions first, then removals. Stops at the first failure, and at an
 * Unknown Member answer to a PUT (`not_member`: the caller decides whether to join them).
 */
export async function applyMemberPlan(
  t: MemberTarget,
  plan: { add: readonly string[]; remove: readonly string[] },
): Promise<Applied> {
  const refused = await precheckPlan(t, plan);
  if (refused) return refused;
  let changes = 0;
  const steps = [
    ...plan.add.map((roleId) => ['add_role', roleId] as const),
    ...plan.remove.map((roleId) => ['remove_role', roleId] as const),
  ];
  for (const [action, roleId] of steps) {
    const written = await writeRole(t, action, roleId);
    if (typeof written === 'object') return { outcome: 'failed', changes, ...written };
    changes += 1;
    if (written === 'not_member') return { outcome: 'not_member', changes };
  }
  return { outcome: 'ok', changes };
}
