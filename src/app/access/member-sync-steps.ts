import type { Failure } from '../../core/failure.js';
import { FailureError } from '../../core/failure.js';
import { isLive } from '../../core/desired-roles.js';
import {
  ADMINISTRATOR,
  KICK_MEMBERS,
  outranks,
  roleProblem,
  type BotStanding,
  type RoleInfo,
} from '../../core/role-grantability.js';
import type { AppContext } from '../shared/context.js';
import { accessTokenFor, markLinkDead } from '../buyer/discord-link.js';
import type { DiscordMember, DiscordPort } from '../../core/ports/discord.js';
import {
  auditReason,
  grantFor,
  recordEndedGrantRoles,
  writeSyncLog,
  type LoadedGrant,
} from './member-sync-data.js';
import { handleFailure, markDelivered, markFailed, type SyncResult } from './member-sync-outcome.js';
import type { ServerRow } from './servers.js';

/** One member sync in progress: what it loaded, and what it knows of the member so far. */
export interface SyncRun {
  ctx: AppContext;
  server: ServerRow;
  grants: LoadedGrant[];
  userId: string;
  cause: string;
  now: number;
  discord: DiscordPort;
  managed: Set<string>;
  enforced: Set<string>;
  roles: RoleInfo[];
  bot: BotStanding;
  /** The managed roles the member holds, as far as this run knows. */
  memberRoles: Set<string>;
  /** Mutating Discord calls made. */
  changes: number;
}

/** The user is not in the server and no grant wants them there: they hold nothing. */
export async function notInServer(run: SyncRun): Promise<SyncResult> {
  run.memberRoles = new Set();
  await recordEndedGrantRoles(run.ctx, run.grants, run.memberRoles);
  return { changes: run.changes, outcome: 'done' };
}

/** The `guilds.join` token of a customer with a live grant on this server, if any (and whose it is). */
export async function linkToken(run: SyncRun): Promise<{ token: string; customerId: string } | null> {
  const live = run.grants.filter((g) => isLive(g, run.now));
  for (const customerId of new Set(live.map((g) => g.row.customer_id))) {
    const token = await accessTokenFor(run.ctx, customerId);
    if (token) return { token, customerId };
  }
  return null;
}

/**
 * The user is not in the server (or may not be) and a live grant wants them there: Add Guild Member
 * with their `guilds.join` token and the roles (201 applies them; 204 = already a member, the body's
 * roles are ignored, so they are PUT one by one). Without a token the buyer must join themselves.
 */
export async function joinMember(run: SyncRun, roles: readonly string[]): Promise<SyncResult> {
  const { ctx, server, grants, userId, cause } = run;
  run.memberRoles = new Set();
  const joinGrant = grants.find((g) => isLive(g, run.now)) ?? null;
  const problem = await precheck(run, roles, []);
  if (problem) return problem;
  const link = await linkToken(run);
  if (!link) {
    const failure: Failure = {
      owner: 'customer',
      code: 'member_not_in_server',
      message:
        'You are not in the Discord server yet. Connect your Discord account so Rolegate can add you, or join the server and use /claim.',
    };
    const grantId = joinGrant?.id ?? null;
    await writeSyncLog(ctx, {
      serverId: server.id,
      userId,
      grantId,
      action: 'join',
      outcome: 'failed',
      failure,
      cause,
    });
    await markFailed(ctx, grants, failure, cause);
    return { changes: run.changes, outcome: 'failed', failure };
  }
  let outcome;
  try {
    outcome = await run.discord.addMember(
      server.guild_id,
      userId,
      link.token,
      roles,
      auditReason(joinGrant?.id ?? null, cause),
    );
    run.changes += 1;
  } catch (err) {
    // A dead token (50025 / revoked) is the customer's to fix: mark the link so nobody retries it.
    if (err instanceof FailureError && err.failure.code === 'discord_link_expired')
      await markLinkDead(ctx, link.customerId);
    return handleFailure(ctx, server, grants, userId, cause, err, {
      action: 'join',
      grantId: joinGrant?.id ?? null,
    });
  }
  await writeSyncLog(ctx, {
    serverId: server.id,
    userId,
    grantId: joinGrant?.id ?? null,
    action: 'join',
    outcome: 'ok',
    message: outcome,
    cause,
  });
  if (outcome === 'added') for (const r of roles) run.memberRoles.add(r);
  for (const roleId of roles) {
    if (run.memberRoles.has(roleId)) continue;
    const added = await changeRole(run, 'add_role', roleId);
    if (added === 'not_member') return notInServer(run); // left again at once; the next sync decides
    if (added !== 'ok') return added;
  }
  await markDelivered(ctx, grants, run.memberRoles, cause);
  await recordEndedGrantRoles(ctx, grants, run.memberRoles);
  return { changes: run.changes, outcome: 'done' };
}

/**
 * The revoke action `kick`. The one place member sync reads first when it was not handed the
 * member: whether the bot may kick depends on the member's highest role, and a refused kick would
 * be an invalid request (403).
 */
export async function kickMember(
  run: SyncRun,
  observed: DiscordMember | null | undefined,
): Promise<SyncResult> {
  const { ctx, server, grants, userId, cause, bot } = run;
  const kickGrant = grants.find((g) => g.entitlement.revokeAction === 'kick')?.id ?? null;
  let member = observed;
  if (member === undefined) {
    try {
      member = await run.discord.getMember(server.guild_id, userId);
    } catch (err) {
      return handleFailure(ctx, server, grants, userId, cause, err, { action: 'check', grantId: null });
    }
  }
  if (member === null) return notInServer(run);
  const memberRoles = new Set(member.roleIds);
  const perms = BigInt(bot.permissions);
  const targetTop = run.roles
    .filter((r) => memberRoles.has(r.id))
    .reduce<RoleInfo | null>((t, r) => (!t || outranks(r, t) ? r : t), null);
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
    await run.discord.kickMember(server.guild_id, userId, auditReason(kickGrant, cause));
    run.changes += 1;
  } catch (err) {
    return handleFailure(ctx, server, grants, userId, cause, err, { action: 'kick', grantId: kickGrant });
  }
  await writeSyncLog(ctx, {
    serverId: server.id,
    userId,
    grantId: kickGrant,
    action: 'kick',
    outcome: 'ok',
    cause,
  });
  return notInServer(run);
}

/** Pre-validates against the stored snapshot: a role the bot cannot touch costs no Discord call. */
export async function precheck(
  run: SyncRun,
  add: readonly string[],
  remove: readonly string[],
): Promise<SyncResult | null> {
  for (const roleId of [...add, ...remove]) {
    const problem = roleProblem(roleId, run.roles, run.bot);
    if (!problem) continue;
    if (problem.code === 'role_missing' && remove.includes(roleId)) continue;
    const failure: Failure = { owner: 'merchant', code: problem.code, message: problem.message };
    return handleFailure(run.ctx, run.server, run.grants, run.userId, run.cause, new FailureError(failure), {
      action: remove.includes(roleId) ? 'remove_role' : 'add_role',
      roleId,
      grantId: grantFor(run.grants, roleId, run.now),
    });
  }
  return null;
}

/** One per-role PUT or DELETE, logged. `not_member`: Discord answered Unknown Member. */
export async function changeRole(
  run: SyncRun,
  action: 'add_role' | 'remove_role',
  roleId: string,
): Promise<'ok' | 'not_member' | SyncResult> {
  const { ctx, server, userId, cause } = run;
  const grantId = grantFor(run.grants, roleId, run.now);
  const reason = auditReason(grantId, cause);
  try {
    if (action === 'add_role') {
      const outcome = await run.discord.addRole(server.guild_id, userId, roleId, reason);
      run.changes += 1;
      if (outcome === 'not_member') return 'not_member';
      run.memberRoles.add(roleId);
    } else {
      await run.discord.removeRole(server.guild_id, userId, roleId, reason);
      run.changes += 1;
      run.memberRoles.delete(roleId);
    }
  } catch (err) {
    return handleFailure(ctx, server, run.grants, userId, cause, err, { action, roleId, grantId });
  }
  await writeSyncLog(ctx, { serverId: server.id, userId, grantId, action, roleId, outcome: 'ok', cause });
  return 'ok';
}
