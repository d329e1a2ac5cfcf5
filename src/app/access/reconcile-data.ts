import type { Executor } from '../../adapters/store/db.js';
import { isLive, type RevokeAction, type SyncGrant } from '../../core/desired-roles.js';
import type { DiscordPort } from '../../core/ports/discord.js';

/**
 * Bulk reads for reconcile: everything a server-wide diff needs in a handful of queries, whatever
 * the number of members (one query for all grants, not one per member).
 */

/** A grant as the plan needs it, plus what reconcile reports and decides on. */
export interface ServerGrant extends SyncGrant {
  customerId: string;
  status: string;
}

/** Every grant of the server whose customer has a linked Discord account, grouped by Discord user id. */
export async function loadServerGrants(db: Executor, serverId: string): Promise<Map<string, ServerGrant[]>> {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .select([
      'grants.id',
      'grants.customer_id',
      'grants.status',
      'grants.active',
      'grants.starts_at',
      'grants.ends_at',
      'grants.delivered_at',
      'grants.granted_role_ids',
      'grants.entitlement_id',
      'customers.discord_user_id as userId',
      'entitlements.role_ids as e_role_ids',
      'entitlements.revoke_action as e_revoke_action',
      'entitlements.fallback_role_id as e_fallback_role_id',
      'entitlements.enforce_roles as e_enforce_roles',
    ])
    .where('grants.server_id', '=', serverId)
    .where('customers.discord_user_id', 'is not', null)
    .orderBy('grants.created_at')
    .execute();
  // Entitlements repeat across thousands of grants: parse each role list once.
  const entitlements = new Map<string, SyncGrant['entitlement']>();
  const byUser = new Map<string, ServerGrant[]>();
  for (const r of rows) {
    if (r.userId === null) continue;
    let entitlement = entitlements.get(r.entitlement_id);
    if (!entitlement) {
      entitlement = {
        id: r.entitlement_id,
        roleIds: JSON.parse(r.e_role_ids) as string[],
        revokeAction: r.e_revoke_action as RevokeAction,
        fallbackRoleId: r.e_fallback_role_id,
        enforceRoles: r.e_enforce_roles === 1,
      };
      entitlements.set(r.entitlement_id, entitlement);
    }
    const grant: ServerGrant = {
      id: r.id,
      customerId: r.customer_id,
      status: r.status,
      active: r.active === 1,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      deliveredAt: r.delivered_at,
      grantedRoleIds: r.granted_role_ids === '[]' ? [] : (JSON.parse(r.granted_role_ids) as string[]),
      entitlement,
    };
    const list = byUser.get(r.userId);
    if (list) list.push(grant);
    else byUser.set(r.userId, [grant]);
  }
  return byUser;
}

/** Roles of the server's entitlements whose merchant chose to enforce them (hand-given copies are removed). */
export async function enforcedRoleIdsOf(db: Executor, serverId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom('entitlements')
    .select('role_ids')
    .where('server_id', '=', serverId)
    .where('enforce_roles', '=', 1)
    .execute();
  const ids = new Set<string>();
  for (const e of rows) for (const r of JSON.parse(e.role_ids) as string[]) ids.add(r);
  return ids;
}

/** Customers (of the given ones) whose Discord link still holds a usable `guilds.join` token. */
export async function customersWithToken(db: Executor, customerIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  // Chunked: both backends cap bound parameters per statement.
  for (let i = 0; i < customerIds.length; i += 500) {
    const rows = await db
      .selectFrom('discord_links')
      .select('customer_id')
      .where('customer_id', 'in', customerIds.slice(i, i + 500))
      .where('token_invalid_at', 'is', null)
      .where('access_token_enc', 'is not', null)
      .execute();
    for (const r of rows) found.add(r.customer_id);
  }
  return found;
}

/** The sync_log code of a breaker stop; the heal task leaves servers paused by it alone. */
export const BREAKER_CODE = 'reconcile_breaker';

/**
 * True when the server's current pause was set by the reconcile breaker (its log entry is written
 * with the pause, so it is at least as new as `paused_at`). The heal task must not undo such a
 * pause: the setup is fine, it is the size of the change that needs a person (or a smaller diff).
 */
export async function pausedByBreaker(
  db: Executor,
  server: { id: string; status: string; paused_at: number | null },
): Promise<boolean> {
  if (server.status !== 'paused' || server.paused_at === null) return false;
  const row = await db
    .selectFrom('sync_log')
    .select('id')
    .where('server_id', '=', server.id)
    .where('error_code', '=', BREAKER_CODE)
    .where('created_at', '>=', server.paused_at)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface SyncLogEntry {
  serverId: string;
  userId: string;
  grantId: string | null;
  action: 'add_role' | 'remove_role' | 'join' | 'kick' | 'check';
  roleId: string | null;
  outcome: 'ok' | 'failed' | 'skipped';
  errorCode?: string | null;
  errorOwner?: string | null;
  message?: string | null;
  cause: string;
  at: number;
}

export async function writeSyncLog(db: Executor, e: SyncLogEntry): Promise<void> {
  await db
    .insertInto('sync_log')
    .values({
      server_id: e.serverId,
      discord_user_id: e.userId,
      grant_id: e.grantId,
      action: e.action,
      role_id: e.roleId,
      outcome: e.outcome,
      error_code: e.errorCode ?? null,
      error_owner: e.errorOwner ?? null,
      message: e.message ?? null,
      cause: e.cause,
      created_at: e.at,
    })
    .execute();
}

/** A port that counts the calls made through it, by method. */
export function counting(port: DiscordPort, counts: Map<string, number>): DiscordPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.set(String(prop), (counts.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export const reasonFor = (grantId: string | null, cause: string) =>
  `Rolegate ${grantId ? `grant ${grantId} ` : ''}(${cause})`.slice(0, 500);

export function grantFor(grants: readonly ServerGrant[], roleId: string, now: number): string | null {
  const live = grants.find((g) => isLive(g, now) && g.entitlement.roleIds.includes(roleId));
  if (live) return live.id;
  const past = [...grants]
    .reverse()
    .find((g) => g.grantedRoleIds.includes(roleId) || g.entitlement.roleIds.includes(roleId));
  return past?.id ?? null;
}
