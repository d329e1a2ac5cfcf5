import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import type { Database } from '../../../adapters/store/schema.js';
import type { GrantsTable } from '../../../adapters/store/schema.js';
import type { RevokeAction, SyncEntitlement } from '../../../core/desired-roles.js';
import type { AccessGrant } from '../access-grant.js';

/** The access capability's queries on grants and the customers behind them. */

type Eb = ExpressionBuilder<Database, 'grants' | 'customers' | 'entitlements'>;

/** Who a grant is for and the entitlement fields member sync and reconcile decide on. */
const ACCESS_COLUMNS = [
  'customers.discord_user_id as userId',
  'entitlements.role_ids as e_role_ids',
  'entitlements.revoke_action as e_revoke_action',
  'entitlements.fallback_role_id as e_fallback_role_id',
  'entitlements.enforce_roles as e_enforce_roles',
] as const;

function grantsOfServer(db: Executor, serverId: string) {
  return db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .selectAll('grants')
    .select(ACCESS_COLUMNS)
    .where('grants.server_id', '=', serverId);
}
type GrantQueryRow = Awaited<ReturnType<ReturnType<typeof grantsOfServer>['execute']>>[number];

/** Rows to grants; entitlements repeat across thousands of grants, so each role list is parsed once. */
function toAccessGrants(rows: readonly GrantQueryRow[], former: boolean): AccessGrant[] {
  const entitlements = new Map<string, SyncEntitlement>();
  return rows.map((r) => {
    let entitlement = entitlements.get(r.entitlement_id);
    if (!entitlement) {
      entitlement = {
        id: r.entitlement_id,
        roleIds: JSON.parse(r.e_role_ids) as string[],
        revokeAction: former ? 'remove_roles' : (r.e_revoke_action as RevokeAction),
        fallbackRoleId: former ? null : r.e_fallback_role_id,
        enforceRoles: r.e_enforce_roles === 1,
      };
      entitlements.set(r.entitlement_id, entitlement);
    }
    return {
      id: r.id,
      customerId: r.customer_id,
      status: r.status,
      former,
      active: former ? false : r.active === 1,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      deliveredAt: r.delivered_at,
      grantedRoleIds: r.granted_role_ids === '[]' ? [] : (JSON.parse(r.granted_role_ids) as string[]),
      entitlement,
      lastErrorCode: r.last_error_code,
      lastErrorMessage: r.last_error_message,
      read: { active: r.active, grantedRoleIds: r.granted_role_ids },
    };
  });
}

/**
 * The grants that concern one (server, user): those of the customer currently linked to the user,
 * plus those of customers who linked this account before and switched away from it. The latter are
 * loaded as ended, with a plain "remove roles" policy: the old account loses what it was given for
 * them (never a kick or a fallback role — the buyer still has access, on their new account).
 */
export async function loadMemberGrants(
  db: Executor,
  serverId: string,
  userId: string,
): Promise<AccessGrant[]> {
  const current = await grantsOfServer(db, serverId)
    .where('customers.discord_user_id', '=', userId)
    .orderBy('grants.created_at')
    .execute();
  const former = await grantsOfServer(db, serverId)
    .innerJoin('discord_link_history', 'discord_link_history.customer_id', 'customers.id')
    .where('discord_link_history.discord_user_id', '=', userId)
    .where((eb) =>
      eb.or([eb('customers.discord_user_id', 'is', null), eb('customers.discord_user_id', '!=', userId)]),
    )
    .orderBy('grants.created_at')
    .execute();
  return [...toAccessGrants(current, false), ...toAccessGrants(former, true)];
}

/**
 * Discord user ids are decimal snowflakes stored as text: numeric order is (length, text). A user
 * id in (after, upTo], numerically; null = unbounded. Written so that the common case (both bounds
 * of one length) is one range on the `customers_discord` index.
 */
function userIdIn(eb: Eb, after: string | null, upTo: string | null) {
  const col = eb.ref('customers.discord_user_id');
  const len = eb.fn<number>('length', [col]);
  if (after !== null && upTo !== null && after.length === upTo.length)
    return eb.and([eb(len, '=', after.length), eb(col, '>', after), eb(col, '<=', upTo)]);
  const terms = [];
  if (after !== null)
    terms.push(
      eb.or([eb(len, '>', after.length), eb.and([eb(len, '=', after.length), eb(col, '>', after)])]),
    );
  if (upTo !== null)
    terms.push(eb.or([eb(len, '<', upTo.length), eb.and([eb(len, '=', upTo.length), eb(col, '<=', upTo)])]));
  return eb.and(terms);
}

/**
 * The grants of every linked user whose id is in (after, upTo] (numerically; null = unbounded),
 * grouped by user: one page of members and the buyers between them who are not in the server. The
 * server filter is written so no index serves it (`|| ''`): the plan must walk the user-id range
 * and join grants by customer, not scan every grant of a big server once per page.
 */
export async function grantsOfUsersIn(
  db: Executor,
  serverId: string,
  after: string | null,
  upTo: string | null,
): Promise<Map<string, AccessGrant[]>> {
  const rows = await db
    .selectFrom('customers')
    .innerJoin('grants', 'grants.customer_id', 'customers.id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .selectAll('grants')
    .select(ACCESS_COLUMNS)
    .where(sql<string>`grants.server_id || ''`, '=', serverId)
    .where((eb) => userIdIn(eb, after, upTo))
    .orderBy('grants.created_at')
    .execute();
  const byUser = new Map<string, AccessGrant[]>();
  const grants = toAccessGrants(rows, false);
  rows.forEach((r, i) => {
    const g = grants[i];
    if (r.userId === null || !g) return;
    const list = byUser.get(r.userId);
    if (list) list.push(g);
    else byUser.set(r.userId, [g]);
  });
  return byUser;
}

/** Up to `limit` linked users holding a grant of the server, with ids numerically above `after`, in id order. */
export async function grantedUsersAfter(
  db: Executor,
  serverId: string,
  after: string | null,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('customers')
    .innerJoin('grants', 'grants.customer_id', 'customers.id')
    .select('customers.discord_user_id as userId')
    .where('grants.server_id', '=', serverId)
    .where('customers.discord_user_id', 'is not', null)
    .where((eb) => userIdIn(eb as unknown as Eb, after, null))
    .groupBy('customers.discord_user_id')
    .orderBy((eb) => eb.fn('length', ['customers.discord_user_id']))
    .orderBy('customers.discord_user_id')
    .limit(limit)
    .execute();
  return rows.flatMap((r) => (r.userId === null ? [] : [r.userId]));
}

/** How many linked users hold a grant of the server. */
export async function countGrantedUsers(db: Executor, serverId: string): Promise<number> {
  const row = await db
    .selectFrom('customers')
    .innerJoin('grants', 'grants.customer_id', 'customers.id')
    .select((eb) => eb.fn.count<string | number>('customers.discord_user_id').distinct().as('n'))
    .where('grants.server_id', '=', serverId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Users whose grants of the server changed at or after `since` (their plan may be stale). */
export async function usersWithGrantsChangedSince(db: Executor, serverId: string, since: number) {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .select('customers.discord_user_id as userId')
    .distinct()
    .where('grants.server_id', '=', serverId)
    .where('grants.updated_at', '>=', since)
    .where('customers.discord_user_id', 'is not', null)
    .execute();
  return rows.flatMap((r) => (r.userId === null ? [] : [r.userId]));
}

/** Users with a live grant still waiting for delivery (pending or failed). */
export async function usersWithWaitingGrants(db: Executor, serverId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .select('customers.discord_user_id as userId')
    .distinct()
    .where('grants.server_id', '=', serverId)
    .where('grants.active', '=', 1)
    .where('grants.status', 'in', ['pending', 'failed'])
    .where('customers.discord_user_id', 'is not', null)
    .execute();
  return rows.flatMap((r) => (r.userId === null ? [] : [r.userId]));
}

/**
 * Writes `granted_role_ids`, guarded by what the plan read (a grant changed meanwhile has its own
 * sync queued). Returns the row as it is after the write (re-read under the row lock), or null when
 * the guard did not match.
 */
export async function updateGrantedRoles(
  db: Executor,
  grant: AccessGrant,
  granted: readonly string[],
  now: number,
): Promise<Selectable<GrantsTable> | null> {
  const r = await db
    .updateTable('grants')
    .set({ granted_role_ids: JSON.stringify(granted), updated_at: now })
    .where('id', '=', grant.id)
    .where('status', '=', grant.status)
    .where('active', '=', grant.read.active)
    .where('granted_role_ids', '=', grant.read.grantedRoleIds)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return null;
  return db.selectFrom('grants').selectAll().where('id', '=', grant.id).executeTakeFirstOrThrow();
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
