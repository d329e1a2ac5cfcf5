import type { Failure } from '../../core/failure.js';
import { heldAfterEnd, isLive, type RevokeAction, type SyncGrant } from '../../core/desired-roles.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { grantView, type GrantRow } from '../grants/grants.js';
import { emitWebhookEvent } from '../webhooks/events.js';

/** What member sync reads and writes around its Discord calls: the grants of one member, and the sync log. */

/** `former`: a grant of a customer who switched this Discord account away (see loadGrants). */
export type LoadedGrant = SyncGrant & { row: GrantRow; former: boolean };

/**
 * The grants that concern one (server, user): those of the customer currently linked to the user,
 * plus those of customers who linked this account before and switched away from it. The latter are
 * loaded as ended, with a plain "remove roles" policy: the old account loses what it was given for
 * them (never a kick or a fallback role — the buyer still has access, on their new account).
 */
export async function loadGrants(ctx: AppContext, serverId: string, userId: string): Promise<LoadedGrant[]> {
  const base = () =>
    ctx.db.kysely
      .selectFrom('grants')
      .innerJoin('customers', 'customers.id', 'grants.customer_id')
      .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
      .selectAll('grants')
      .select([
        'entitlements.role_ids as e_role_ids',
        'entitlements.revoke_action as e_revoke_action',
        'entitlements.fallback_role_id as e_fallback_role_id',
        'entitlements.enforce_roles as e_enforce_roles',
      ])
      .where('grants.server_id', '=', serverId);
  const current = await base()
    .where('customers.discord_user_id', '=', userId)
    .orderBy('grants.created_at')
    .execute();
  const former = await base()
    .innerJoin('discord_link_history', 'discord_link_history.customer_id', 'customers.id')
    .where('discord_link_history.discord_user_id', '=', userId)
    .where((eb) =>
      eb.or([eb('customers.discord_user_id', 'is', null), eb('customers.discord_user_id', '!=', userId)]),
    )
    .orderBy('grants.created_at')
    .execute();
  const toLoaded = (
    { e_role_ids, e_revoke_action, e_fallback_role_id, e_enforce_roles, ...row }: (typeof current)[number],
    switchedAway: boolean,
  ): LoadedGrant => ({
    row,
    former: switchedAway,
    id: row.id,
    active: switchedAway ? false : row.active === 1,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    deliveredAt: row.delivered_at,
    grantedRoleIds: JSON.parse(row.granted_role_ids) as string[],
    entitlement: {
      id: row.entitlement_id,
      roleIds: JSON.parse(e_role_ids) as string[],
      revokeAction: switchedAway ? 'remove_roles' : (e_revoke_action as RevokeAction),
      fallbackRoleId: switchedAway ? null : e_fallback_role_id,
      enforceRoles: e_enforce_roles === 1,
    },
  });
  return [...current.map((r) => toLoaded(r, false)), ...former.map((r) => toLoaded(r, true))];
}

export async function writeSyncLog(
  ctx: AppContext,
  entry: {
    serverId: string;
    userId: string;
    grantId: string | null;
    action: 'add_role' | 'remove_role' | 'join' | 'kick' | 'check';
    roleId?: string | null;
    outcome: 'ok' | 'failed' | 'skipped';
    failure?: Failure;
    message?: string;
    cause: string;
  },
) {
  await ctx.db.kysely
    .insertInto('sync_log')
    .values({
      server_id: entry.serverId,
      discord_user_id: entry.userId,
      grant_id: entry.grantId,
      action: entry.action,
      role_id: entry.roleId ?? null,
      outcome: entry.outcome,
      error_code: entry.failure?.code ?? null,
      error_owner: entry.failure?.owner ?? null,
      message: entry.failure?.message ?? entry.message ?? null,
      cause: entry.cause,
      created_at: ctx.clock.now(),
    })
    .execute();
}

/** Audit-log reason: ids only (staff can read it), never emails; Discord caps it at 512 characters. */
export const auditReason = (grantId: string | null, cause: string) =>
  `Rolegate ${grantId ? `grant ${grantId} ` : ''}(${cause})`.slice(0, 500);

/** The live grant that wants a role (for the audit reason), or the ended one that gave it. */
export function grantFor(grants: LoadedGrant[], roleId: string, now: number): string | null {
  const live = grants.find((g) => isLive(g, now) && g.entitlement.roleIds.includes(roleId));
  if (live) return live.id;
  const past = [...grants]
    .reverse()
    .find(
      (g) =>
        g.grantedRoleIds.includes(roleId) ||
        g.entitlement.roleIds.includes(roleId) ||
        g.entitlement.fallbackRoleId === roleId,
    );
  return past?.id ?? grants[0]?.id ?? null;
}

/**
 * After a sync that reached the member: writes what each ended grant of the member still holds
 * (`granted_role_ids`, see heldAfterEnd), so a revoked grant whose roles were removed shows none.
 * A grant that changed meanwhile is left alone (its change queued another sync); a former account's
 * grants are left alone too (they are judged by the account the buyer uses now).
 */
export async function recordEndedGrantRoles(
  ctx: AppContext,
  grants: LoadedGrant[],
  memberRoleIds: ReadonlySet<string>,
): Promise<void> {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (g.former || isLive(g, now)) continue;
    const held = heldAfterEnd(g, memberRoleIds);
    if (JSON.stringify(held) === JSON.stringify([...g.grantedRoleIds].sort())) continue;
    const granted_role_ids = JSON.stringify(held);
    await inTransaction(ctx, async (tx) => {
      // Guarded by what decides the roles (a restore meanwhile queued its own sync); other columns,
      // such as a revoke's billing outcome, may change concurrently without making this wrong.
      const r = await tx.db
        .updateTable('grants')
        .set({ granted_role_ids, updated_at: now })
        .where('id', '=', g.id)
        .where('status', '=', g.row.status)
        .where('active', '=', g.row.active)
        .where('granted_role_ids', '=', g.row.granted_role_ids)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return;
      // Re-read after the write (which holds the row lock): the webhook shows the row as it is.
      const after = await tx.db
        .selectFrom('grants')
        .selectAll()
        .where('id', '=', g.id)
        .executeTakeFirstOrThrow();
      if (after.announced_at !== null)
        await emitWebhookEvent(ctx, tx, 'entitlement_grant.updated', grantView(after));
    });
  }
}
