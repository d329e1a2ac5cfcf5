import type { Selectable } from 'kysely';
import type { ServersTable } from '../../adapters/store/schema.js';
import type { Executor } from '../../adapters/store/db.js';
import { AppError } from '../../core/errors.js';
import { roleProblem, type BotStanding, type RoleInfo } from '../../core/role-grantability.js';
import type { EntitlementFields, priceIntervals } from './entitlement-fields.js';
import { rolesOfServer } from './store.js';

/** The rules an entitlement must satisfy before it is saved: consistent fields, grantable roles. */

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `body.${path}: ${message}`, [{ location: 'body', path, message }]);
}

/** Stripe allows at most one year between charges. */
const maxIntervalCount: Record<(typeof priceIntervals)[number], number> = {
  day: 365,
  week: 52,
  month: 12,
  year: 1,
};

/**
 * Rules that span several fields, checked on the merged result of a create or an update so that no
 * sequence of PATCHes can reach a state a single POST could not.
 */
export function checkConsistency(f: EntitlementFields): void {
  if (f.access.kind === 'days') {
    if (!f.access.days || f.access.days < 1) throw invalid('access.days', 'days access needs days ≥ 1');
  } else if (f.access.days !== undefined && f.access.days !== null) {
    throw invalid('access.days', `days is only used with access kind "days", not "${f.access.kind}"`);
  }
  const recurring = f.prices.filter((p) => p.kind === 'recurring');
  if (f.access.kind === 'subscription' && recurring.length === 0)
    throw invalid('prices', 'subscription access needs at least one recurring price');
  if (f.access.kind !== 'subscription' && recurring.length > 0)
    throw invalid('prices', `recurring prices need access kind "subscription", not "${f.access.kind}"`);
  if (f.trial_days > 0 && f.access.kind !== 'subscription')
    throw invalid('trial_days', 'a trial is only possible with subscription access');
  const seen = new Set<string>();
  for (const [i, p] of f.prices.entries()) {
    if (p.kind === 'recurring') {
      if (!p.interval) throw invalid(`prices.${i}.interval`, 'a recurring price needs an interval');
      if ((p.interval_count ?? 1) > maxIntervalCount[p.interval])
        throw invalid(`prices.${i}.interval_count`, 'the billing interval can be at most one year');
    }
    const key = `${p.kind}:${p.currency}:${p.interval ?? ''}:${p.kind === 'recurring' ? (p.interval_count ?? 1) : ''}`;
    if (seen.has(key))
      throw invalid(`prices.${i}`, 'two prices with the same kind, currency and interval are ambiguous');
    seen.add(key);
  }
  if (new Set(f.role_ids).size !== f.role_ids.length) throw invalid('role_ids', 'lists a role twice');
  if (f.revoke_action === 'swap' && !f.fallback_role_id)
    throw invalid('fallback_role_id', 'revoke_action "swap" needs a fallback_role_id to swap to');
  if (f.revoke_action !== 'swap' && f.fallback_role_id)
    throw invalid('fallback_role_id', 'a fallback role is only used with revoke_action "swap"');
  if (f.fallback_role_id && f.role_ids.includes(f.fallback_role_id))
    throw invalid('fallback_role_id', 'the fallback role must not be one of the sold roles');
}

/**
 * Refuses roles the bot cannot give (422 `role_not_grantable`), using the stored roles and bot
 * standing, with roleProblem's plain-words fix as the message.
 */
export async function checkRolesGrantable(db: Executor, server: Selectable<ServersTable>, roleIds: string[]) {
  if (roleIds.length === 0) return;
  const stored = await rolesOfServer(db, server.id);
  const roles: RoleInfo[] = stored.map((r) => ({
    id: r.role_id,
    name: r.name,
    position: r.position,
    managed: r.managed === 1,
  }));
  const topRoleName = stored.find((r) => r.role_id === server.bot_top_role_id)?.name ?? 'Rolegate';
  const bot: BotStanding = {
    guildId: server.guild_id,
    permissions: server.bot_permissions,
    topRole: server.bot_top_role_id
      ? { id: server.bot_top_role_id, position: server.bot_top_position, name: topRoleName }
      : null,
    isOwner: server.owner_id !== null && server.owner_id === server.bot_user_id,
  };
  for (const roleId of roleIds) {
    const problem = roleProblem(roleId, roles, bot);
    if (problem)
      throw new AppError('role_not_grantable', problem.message, { role_id: roleId, reason: problem.code });
  }
}
