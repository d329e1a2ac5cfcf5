import type { Failure } from '../../core/failure.js';
import { planMemberSync, isLive, type MemberPlan } from '../../core/desired-roles.js';
import type { AppContext } from '../shared/context.js';
import type { DiscordMember } from '../../core/ports/discord.js';
import type { AccessGrant } from './access-grant.js';
import { precheckPlan } from './apply.js';
import {
  handleFailure,
  markDelivered,
  markFailed,
  reactToFailure,
  type SyncResult,
} from './member-sync-outcome.js';
import {
  applyRoles,
  joinMember,
  kickMember,
  linkToken,
  notInServer,
  recordEndedGrantRoles,
  type SyncRun,
} from './member-sync-steps.js';
import { storedStanding } from './servers.js';
import { loadMemberGrants } from './store/grants.js';
import { enforcedRoleIdsOf, findServer, managedRoleIdsOf } from './store/servers.js';
import { writeSyncLog } from './store/sync-log.js';
import { requireDiscord } from '../shared/services.js';

export type { SyncResult } from './member-sync-outcome.js';

/**
 * Member sync: the ONLY code that changes Discord. Level-triggered: it recomputes the desired roles
 * of one (server, user) from the database each time it runs and applies the difference with
 * per-role PUT/DELETE (never PATCH of the whole role list, which races with moderators and other
 * bots). The event that queued it only names the cause for the audit log and the sync log.
 *
 * Call budget (decision 0019): one call per role that changes and nothing else in the common case.
 * The member is not read first: the roles the grants record as given stand for what the member
 * holds, a role to add is PUT directly (Discord's Unknown Member answer is what says "not in the
 * server"), a role to take is DELETEd directly. Drift behind Rolegate's back (a moderator, a
 * rejoin) is the gateway listener's and reconcile's to see; they pass what they observed.
 */

export interface SyncOptions {
  /**
   * The member as just observed (a gateway event, a member-list page): the plan is made against
   * these roles instead of the recorded ones. `null` = observed not in the server. Absent = trust
   * the records (no read).
   */
  observed?: DiscordMember | null;
  /** Read the member first (one GET) when the records may not describe this account; see MemberSyncPayload. */
  verify?: boolean;
}

/** The managed roles the grants record as given to this member: what a sync without a read assumes they hold. */
export function heldByRecord(grants: readonly AccessGrant[], now: number): string[] {
  const held = new Set<string>();
  for (const g of grants) {
    // A live grant not yet delivered (pending, failed) may hold part of its roles: PUT them again (idempotent).
    if (isLive(g, now) && g.status !== 'delivered') continue;
    for (const r of g.grantedRoleIds) held.add(r);
  }
  return [...held].sort();
}

async function syncWhilePaused(
  ctx: AppContext,
  server: { id: string; pause_reason: string | null },
  grants: AccessGrant[],
  userId: string,
  cause: string,
): Promise<SyncResult> {
  // No Discord call while paused (no 403 loops). The heal task re-queues this member once healthy.
  const failure: Failure = {
    owner: 'merchant',
    code: 'server_paused',
    message: server.pause_reason ?? 'Syncing is paused for this server until its setup is fixed.',
  };
  await writeSyncLog(ctx.db.kysely, {
    serverId: server.id,
    userId,
    grantId: null,
    action: 'check',
    outcome: 'skipped',
    failure,
    cause,
    at: ctx.clock.now(),
  });
  await markFailed(
    ctx,
    grants.filter((g) => g.status !== 'delivered'),
    failure,
    cause,
  );
  return { changes: 0, outcome: 'paused', failure };
}

/** Brings one member's managed roles in line with the database. */
export async function syncMember(
  ctx: AppContext,
  serverId: string,
  userId: string,
  cause: string,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const db = ctx.db.kysely;
  const server = await findServer(db, serverId);
  if (!server || server.status === 'removed') return { changes: 0, outcome: 'skipped' };
  const grants = await loadMemberGrants(db, serverId, userId);
  if (server.status === 'paused') return syncWhilePaused(ctx, server, grants, userId, cause);

  const managed = await managedRoleIdsOf(db, serverId);
  for (const g of grants) for (const r of g.grantedRoleIds) managed.add(r);
  // Every enforced role of the server, as reconcile uses: a hand-given copy goes whoever holds it.
  const enforced = await enforcedRoleIdsOf(db, serverId);
  const standing = await storedStanding(ctx, server);
  const run: SyncRun = {
    ctx,
    server,
    grants,
    userId,
    cause,
    now: ctx.clock.now(),
    discord: requireDiscord(ctx),
    managed,
    enforced,
    standing,
    held: new Set(),
    changes: 0,
  };
  if (options.verify && options.observed === undefined) {
    let member;
    try {
      member = await run.discord.getMember(server.guild_id, userId);
    } catch (err) {
      return handleFailure(ctx, server, grants, userId, cause, err, { action: 'check', grantId: null });
    }
    return syncAgainst(run, member);
  }
  return syncAgainst(run, options.observed);
}

/** Plans against the observed member (or, when `observed` is undefined, the recorded roles) and applies it. */
async function syncAgainst(run: SyncRun, observed: DiscordMember | null | undefined): Promise<SyncResult> {
  const { grants, now } = run;
  const known = observed === undefined ? heldByRecord(grants, now) : (observed?.roleIds ?? null);
  const plan = planMemberSync({
    grants,
    managedRoleIds: run.managed,
    enforcedRoleIds: run.enforced,
    memberRoleIds: known,
    now,
  });
  if (known === null) return plan.join ? joinMember(run, joinRoles(run, plan)) : notInServer(run);
  run.held = new Set(known);

  const refused = await precheckPlan(run, plan);
  if (refused) return reactToFailure(run.ctx, run.server, grants, run.cause, refused.error, refused.at);
  if (plan.kick) return kickMember(run, observed);
  if (observed === undefined && plan.add.length === 0 && waitsForDelivery(grants, now))
    return checkMembership(run, plan);
  const applied = await applyRoles(run, plan);
  if (applied === 'not_member')
    return plan.entitled ? joinMember(run, joinRoles(run, plan)) : notInServer(run);
  if (applied !== 'ok') return applied;
  await markDelivered(run.ctx, grants, run.held, run.cause);
  await recordEndedGrantRoles(run);
  return { changes: run.changes, outcome: 'done' };
}

/**
 * Nothing to PUT, yet a grant waits (an entitlement without roles, or roles another grant gave):
 * only membership decides it. With a token, Add Guild Member is the answer (201 joined / 204
 * already there); without one, a read says whether the buyer must still join.
 */
async function checkMembership(run: SyncRun, plan: MemberPlan): Promise<SyncResult> {
  if (await linkToken(run)) return joinMember(run, joinRoles(run, plan));
  let member;
  try {
    member = await run.discord.getMember(run.server.guild_id, run.userId);
  } catch (err) {
    return handleFailure(run.ctx, run.server, run.grants, run.userId, run.cause, err, {
      action: 'check',
      grantId: null,
    });
  }
  return syncAgainst(run, member);
}

/** Every managed role the member should have: what Add Guild Member gives a newcomer. */
const joinRoles = (run: SyncRun, plan: MemberPlan) =>
  [...plan.desired].filter((r) => run.managed.has(r)).sort();

const waitsForDelivery = (grants: readonly AccessGrant[], now: number) =>
  grants.some((g) => isLive(g, now) && g.status !== 'delivered');
