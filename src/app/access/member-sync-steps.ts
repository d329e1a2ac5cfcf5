import type { Failure } from '../../core/failure.js';
import { FailureError } from '../../core/failure.js';
import { isLive } from '../../core/desired-roles.js';
import { ADMINISTRATOR, KICK_MEMBERS, outranks, type RoleInfo } from '../../core/role-grantability.js';
import { accessTokenFor, markLinkDead } from '../buyer/discord-link.js';
import type { DiscordMember } from '../../core/ports/discord.js';
import { auditReason, type AccessGrant } from './access-grant.js';
import { applyMemberPlan, precheckPlan, type MemberTarget } from './apply.js';
import { recordHeldRoles } from './grant-roles.js';
import {
  handleFailure,
  markDelivered,
  markFailed,
  reactToFailure,
  type SyncResult,
} from './member-sync-outcome.js';
import type { ServerRow } from './store/servers.js';
import { writeSyncLog } from './store/sync-log.js';

/**
 * One member sync in progress: what it loaded, and what it knows of the member so far (`held`: the
 * managed roles the member holds, as far as this run knows).
 */
export interface SyncRun extends MemberTarget {
  server: ServerRow;
  grants: AccessGrant[];
  managed: Set<string>;
  enforced: Set<string>;
  /** Mutating Discord calls made. */
  changes: number;
}

/** Writes what each ended grant of the member still holds, once the sync reached the member. */
export const recordEndedGrantRoles = (run: SyncRun) =>
  recordHeldRoles(run.ctx, run.grants, run.held, { now: run.ctx.clock.now(), live: false });

/** The user is not in the server and no grant wants them there: they hold nothing. */
export async function notInServer(run: SyncRun): Promise<SyncResult> {
  run.held = new Set();
  await recordEndedGrantRoles(run);
  return { changes: run.changes, outcome: 'done' };
}

/** The `guilds.join` token of a customer with a live grant on this server, if any (and whose it is). */
export async function linkToken(run: SyncRun): Promise<{ token: string; customerId: string } | null> {
  const live = run.grants.filter((g) => isLive(g, run.now));
  for (const customerId of new Set(live.map((g) => g.customerId))) {
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
  run.held = new Set();
  const joinGrant = grants.find((g) => isLive(g, run.now)) ?? null;
  const refused = await precheckPlan(run, { add: roles, remove: [] });
  if (refused) return reactToFailure(ctx, server, grants, cause, refused.error, refused.at);
  const link = await linkToken(run);
  if (!link) {
    const failure: Failure = {
      owner: 'customer',
      code: 'member_not_in_server',
      message:
        'You are not in the Discord server yet. Connect your Discord account so Rolegate can add you, or join the server and use /claim.',
    };
    const grantId = joinGrant?.id ?? null;
    await writeSyncLog(ctx.db.kysely, {
      serverId: server.id,
      userId,
      grantId,
      action: 'join',
      outcome: 'failed',
      failure,
      cause,
      at: ctx.clock.now(),
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
  await writeSyncLog(ctx.db.kysely, {
    serverId: server.id,
    userId,
    grantId: joinGrant?.id ?? null,
    action: 'join',
    outcome: 'ok',
    message: outcome,
    cause,
    at: ctx.clock.now(),
  });
  if (outcome === 'added') for (const r of roles) run.held.add(r);
  // 204: already a member, the body's roles were ignored; they go one by one.
  const applied = await applyRoles(run, { add: roles.filter((r) => !run.held.has(r)), remove: [] });
  if (applied === 'not_member') return notInServer(run); // left again at once; the next sync decides
  if (applied !== 'ok') return applied;
  await markDelivered(ctx, grants, run.held, cause);
  await recordEndedGrantRoles(run);
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
  const { ctx, server, grants, userId, cause } = run;
  const bot = run.standing.bot;
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
  const targetTop = run.standing.roles
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
  await writeSyncLog(ctx.db.kysely, {
    serverId: server.id,
    userId,
    grantId: kickGrant,
    action: 'kick',
    outcome: 'ok',
    cause,
    at: ctx.clock.now(),
  });
  return notInServer(run);
}

/**
 * The member's role changes through the one writer (apply.ts); a failure gets member sync's
 * reaction (grants marked, or the queue retries). `not_member`: a PUT answered Unknown Member.
 */
export async function applyRoles(
  run: SyncRun,
  plan: { add: readonly string[]; remove: readonly string[] },
): Promise<'ok' | 'not_member' | SyncResult> {
  const applied = await applyMemberPlan(run, plan);
  run.changes += applied.changes;
  if (applied.outcome !== 'failed') return applied.outcome;
  return reactToFailure(run.ctx, run.server, run.grants, run.cause, applied.error, applied.at);
}
