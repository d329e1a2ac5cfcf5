import type { Failure } from '../../core/failure.js';
import { FailureError } from '../../core/failure.js';
import { planMemberSync, isLive } from '../../core/desired-roles.js';
import { ADMINISTRATOR, KICK_MEMBERS, outranks, roleProblem } from '../../core/role-grantability.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { applyGrantEvent, type GrantEventOptions } from '../grants/grants.js';
import { IllegalTransitionError } from '../../core/grant-state.js';
import { AppError } from '../../core/errors.js';
import { accessTokenFor, markLinkDead } from '../buyer/discord-link.js';
import {
  auditReason,
  grantFor,
  loadGrants,
  recordEndedGrantRoles,
  writeSyncLog,
  type LoadedGrant,
} from './member-sync-data.js';
import { requireDiscord } from '../shared/services.js';
import { managedRoleIdsOf, pauseServer, storedStanding, type ServerRow } from './servers.js';

/**
 * Member sync: the ONLY code that changes Discord. Level-triggered: it recomputes the desired roles
 * of one (server, user) from the database each time it runs and applies the difference with
 * per-role PUT/DELETE (never PATCH of the whole role list, which races with moderators and other
 * bots). The event that queued it only names the cause for the audit log and the sync log.
 */

export interface SyncResult {
  /** Mutating Discord calls made. */
  changes: number;
  outcome: 'done' | 'paused' | 'failed' | 'skipped';
  failure?: Failure;
}

/**
 * Writes a delivery outcome. A grant that changed meanwhile (revoked, suspended, or written by a
 * concurrent run) is skipped: that change queued its own sync, which will record the truth.
 */
async function recordOutcome(
  ctx: AppContext,
  grantId: string,
  event: 'delivery_succeeded' | 'delivery_failed',
  options: GrantEventOptions,
) {
  try {
    await inTransaction(ctx, (tx) => applyGrantEvent(ctx, tx, grantId, event, options));
  } catch (err) {
    if (err instanceof IllegalTransitionError || (err instanceof AppError && err.code === 'conflict')) return;
    throw err;
  }
}

/** Marks every live grant that is not yet delivered — or that `failedRoles` concern — as failed with `failure`. */
async function markFailed(
  ctx: AppContext,
  grants: LoadedGrant[],
  failure: Failure,
  cause: string,
  failedRoles?: Set<string>,
) {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    if (failedRoles && !g.entitlement.roleIds.some((r) => failedRoles.has(r))) continue;
    if (
      g.row.status === 'failed' &&
      g.row.last_error_code === failure.code &&
      g.row.last_error_message === failure.message
    )
      continue; // unchanged: no write, no webhook
    await recordOutcome(ctx, g.id, 'delivery_failed', {
      cause,
      error: { code: failure.code, message: failure.message, owner: failure.owner },
    });
  }
}

async function markDelivered(
  ctx: AppContext,
  grants: LoadedGrant[],
  memberRoles: Set<string>,
  failedRoles: Set<string>,
  cause: string,
) {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    if (g.entitlement.roleIds.some((r) => failedRoles.has(r))) continue;
    const given = g.entitlement.roleIds.filter((r) => memberRoles.has(r)).sort();
    const same = JSON.stringify([...g.grantedRoleIds].sort()) === JSON.stringify(given);
    if (g.row.status === 'delivered' && same) continue; // a renewal or repeated sync: nothing to write
    await recordOutcome(ctx, g.id, 'delivery_succeeded', { cause, grantedRoleIds: given });
  }
}

/**
 * Brings one member's managed roles in line with the database.
 * Cost: one GET member per run — needed because moderators and members change Discord behind our
 * back (left the server, role removed by hand), and it is the cheap non-mutating call. When the
 * member already matches (a renewal, a repeated sync), no mutating call is made and nothing is written.
 */
export async function syncMember(
  ctx: AppContext,
  serverId: string,
  userId: string,
  cause: string,
): Promise<SyncResult> {
  const db = ctx.db.kysely;
  const server = await db.selectFrom('servers').selectAll().where('id', '=', serverId).executeTakeFirst();
  if (!server || server.status === 'removed') return { changes: 0, outcome: 'skipped' };
  const grants = await loadGrants(ctx, serverId, userId);
  const now = ctx.clock.now();

  if (server.status === 'paused') {
    // No Discord call while paused (no 403 loops). The heal task re-queues this member once healthy.
    const failure: Failure = {
      owner: 'merchant',
      code: 'server_paused',
      message: server.pause_reason ?? 'Syncing is paused for this server until its setup is fixed.',
    };
    await writeSyncLog(ctx, {
      serverId,
      userId,
      grantId: null,
      action: 'check',
      outcome: 'skipped',
      failure,
      cause,
    });
    await markFailed(
      ctx,
      grants.filter((g) => g.row.status !== 'delivered'),
      failure,
      cause,
    );
    return { changes: 0, outcome: 'paused', failure };
  }

  const discord = requireDiscord(ctx);
  const managed = await managedRoleIdsOf(db, serverId);
  for (const g of grants) for (const r of g.grantedRoleIds) managed.add(r);
  const enforced = new Set<string>();
  for (const g of grants)
    if (g.entitlement.enforceRoles) for (const r of g.entitlement.roleIds) enforced.add(r);

  let member;
  try {
    member = await discord.getMember(server.guild_id, userId);
  } catch (err) {
    return handleFailure(ctx, server, grants, userId, cause, err, { action: 'check', grantId: null });
  }
  const plan = planMemberSync({
    grants,
    managedRoleIds: managed,
    enforcedRoleIds: enforced,
    memberRoleIds: member?.roleIds ?? null,
    now,
  });
  if (!member && !plan.join) {
    await recordEndedGrantRoles(ctx, grants, new Set()); // not in the server: holds nothing
    return { changes: 0, outcome: 'done' };
  }

  // Pre-validate against the stored snapshot: a role the bot cannot touch costs no Discord call.
  const { roles, bot } = await storedStanding(db, server);
  const toAdd = member ? plan.add : [...plan.desired].filter((r) => managed.has(r)).sort();
  for (const roleId of [...toAdd, ...plan.remove]) {
    const problem = roleProblem(roleId, roles, bot);
    if (!problem) continue;
    if (problem.code === 'role_missing' && plan.remove.includes(roleId)) continue;
    const failure: Failure = { owner: 'merchant', code: problem.code, message: problem.message };
    return handleFailure(ctx, server, grants, userId, cause, new FailureError(failure), {
      action: plan.remove.includes(roleId) ? 'remove_role' : 'add_role',
      roleId,
      grantId: grantFor(grants, roleId, now),
    });
  }

  let changes = 0;
  const memberRoles = new Set(member?.roleIds ?? []);
  if (!member) {
    const joinGrant = grants.find((g) => isLive(g, now)) ?? null;
    let link: string | null = null;
    let linkOwner: string | null = null;
    for (const customerId of new Set(grants.filter((g) => isLive(g, now)).map((g) => g.row.customer_id))) {
      link = await accessTokenFor(ctx, customerId);
      linkOwner = customerId;
      if (link) break;
    }
    if (!link) {
      const failure: Failure = {
        owner: 'customer',
        code: 'member_not_in_server',
        message:
          'You are not in the Discord server yet. Connect your Discord account so Rolegate can add you, or join the server and use /claim.',
      };
      await writeSyncLog(ctx, {
        serverId,
        userId,
        grantId: joinGrant?.id ?? null,
        action: 'join',
        outcome: 'failed',
        failure,
        cause,
      });
      await markFailed(ctx, grants, failure, cause);
      return { changes: 0, outcome: 'failed', failure };
    }
    let outcome;
    try {
      outcome = await discord.addMember(
        server.guild_id,
        userId,
        link,
        toAdd,
        auditReason(joinGrant?.id ?? null, cause),
      );
      changes += 1;
    } catch (err) {
      // A dead token (50025 / revoked) is the customer's to fix: mark the link so nobody retries it.
      if (err instanceof FailureError && err.failure.code === 'discord_link_expired' && linkOwner)
        await markLinkDead(ctx, linkOwner);
      return handleFailure(ctx, server, grants, userId, cause, err, {
        action: 'join',
        grantId: joinGrant?.id ?? null,
      });
    }
    await writeSyncLog(ctx, {
      serverId,
      userId,
      grantId: joinGrant?.id ?? null,
      action: 'join',
      outcome: 'ok',
      message: outcome,
      cause,
    });
    // 201 applied the roles in the body; 204 (joined meanwhile) ignores them, so add them one by one.
    if (outcome === 'added') for (const r of toAdd) memberRoles.add(r);
  }

  const adds = member ? plan.add : toAdd.filter((r) => !memberRoles.has(r));
  if (plan.kick) {
    const kickGrant = grants.find((g) => g.entitlement.revokeAction === 'kick')?.id ?? null;
    const perms = BigInt(bot.permissions);
    const targetTop = roles
      .filter((r) => memberRoles.has(r.id))
      .reduce<(typeof roles)[number] | null>((t, r) => (!t || outranks(r, t) ? r : t), null);
    const canKick =
      bot.isOwner ||
      (server.owner_id !== userId &&
        (perms & (KICK_MEMBERS | ADMINISTRATOR)) !== 0n &&
        (!targetTop || (bot.topRole !== null && outranks(bot.topRole, targetTop))));
    if (!canKick) {
      const failure: Failure = {
        owner: 'merchant',
        code: 'cannot_kick',
        message:
          'The Rolegate bot cannot remove this member: give it Kick Members and move its role above the member’s highest role in Server Settings → Roles.',
      };
      return handleFailure(ctx, server, grants, userId, cause, new FailureError(failure), {
        action: 'kick',
        grantId: kickGrant,
      });
    }
    try {
      await discord.kickMember(server.guild_id, userId, auditReason(kickGrant, cause));
      changes += 1;
    } catch (err) {
      return handleFailure(ctx, server, grants, userId, cause, err, { action: 'kick', grantId: kickGrant });
    }
    await writeSyncLog(ctx, { serverId, userId, grantId: kickGrant, action: 'kick', outcome: 'ok', cause });
    await recordEndedGrantRoles(ctx, grants, new Set());
    return { changes, outcome: 'done' };
  }

  for (const [action, list] of [
    ['add_role', adds],
    ['remove_role', plan.remove],
  ] as const) {
    for (const roleId of list) {
      const grantId = grantFor(grants, roleId, now);
      try {
        if (action === 'add_role')
          await discord.addRole(server.guild_id, userId, roleId, auditReason(grantId, cause));
        else await discord.removeRole(server.guild_id, userId, roleId, auditReason(grantId, cause));
        changes += 1;
      } catch (err) {
        return handleFailure(ctx, server, grants, userId, cause, err, { action, roleId, grantId });
      }
      if (action === 'add_role') memberRoles.add(roleId);
      else memberRoles.delete(roleId);
      await writeSyncLog(ctx, { serverId, userId, grantId, action, roleId, outcome: 'ok', cause });
    }
  }
  await markDelivered(ctx, grants, memberRoles, new Set(), cause);
  await recordEndedGrantRoles(ctx, grants, memberRoles);
  return { changes, outcome: 'done' };
}

/**
 * Records a failure and reacts by owner: merchant → pause the server (plain-words reason) and mark
 * the grants failed; customer / bug → mark the grants failed (retrying cannot help); retry → rethrow
 * so the job backs off (the grants stay as they are meanwhile).
 */
async function handleFailure(
  ctx: AppContext,
  server: ServerRow,
  grants: LoadedGrant[],
  userId: string,
  cause: string,
  err: unknown,
  at: {
    action: 'add_role' | 'remove_role' | 'join' | 'kick' | 'check';
    roleId?: string;
    grantId: string | null;
  },
): Promise<SyncResult> {
  if (!(err instanceof FailureError)) throw err;
  const failure = err.failure;
  // Pause before logging, so the heal task (which re-syncs members logged since paused_at) sees this row.
  if (failure.owner === 'merchant')
    await pauseServer(ctx.db.kysely, server.id, failure.message, ctx.clock.now());
  await writeSyncLog(ctx, {
    serverId: server.id,
    userId,
    grantId: at.grantId,
    action: at.action,
    roleId: at.roleId ?? null,
    outcome: 'failed',
    failure,
    cause,
  });
  switch (failure.owner) {
    case 'retry':
      throw err;
    case 'merchant':
      ctx.log.warn(
        { serverId: server.id, code: failure.code },
        'server paused: the merchant must fix its setup',
      );
      // A role that could not be added fails the grants that want it (even delivered ones: the role
      // is missing); any other failure fails only grants still waiting for delivery.
      if (at.action === 'add_role' && at.roleId)
        await markFailed(ctx, grants, failure, cause, new Set([at.roleId]));
      else
        await markFailed(
          ctx,
          grants.filter((g) => g.row.status !== 'delivered'),
          failure,
          cause,
        );
      return { changes: 0, outcome: 'paused', failure };
    case 'customer':
    case 'bug':
      if (failure.owner === 'bug')
        ctx.log.error({ serverId: server.id, failure }, 'Discord rejected a request Rolegate made');
      await markFailed(ctx, grants, failure, cause);
      return { changes: 0, outcome: 'failed', failure };
  }
}
