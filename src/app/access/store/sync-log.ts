import type { Executor } from '../../../adapters/store/db.js';
import type { Failure } from '../../../core/failure.js';

/** The sync log: one row per Discord change (or refusal) Rolegate made or skipped. */

export type SyncAction = 'add_role' | 'remove_role' | 'join' | 'kick' | 'check';

export interface SyncLogEntry {
  serverId: string;
  userId: string;
  grantId: string | null;
  action: SyncAction;
  roleId?: string | null;
  outcome: 'ok' | 'failed' | 'skipped';
  failure?: Failure | undefined;
  /** Free text when there is no failure (e.g. how a join went). */
  message?: string | undefined;
  cause: string;
  at: number;
}

/** The one sync-log writer (member sync, reconcile, the breaker). */
export async function writeSyncLog(db: Executor, e: SyncLogEntry): Promise<void> {
  await db
    .insertInto('sync_log')
    .values({
      server_id: e.serverId,
      discord_user_id: e.userId,
      grant_id: e.grantId,
      action: e.action,
      role_id: e.roleId ?? null,
      outcome: e.outcome,
      error_code: e.failure?.code ?? null,
      error_owner: e.failure?.owner ?? null,
      message: e.failure?.message ?? e.message ?? null,
      cause: e.cause,
      created_at: e.at,
    })
    .execute();
}

/** Whether the server has a log entry with `code` at or after `since`. */
export async function loggedSince(
  db: Executor,
  serverId: string,
  code: string,
  since: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('sync_log')
    .select('id')
    .where('server_id', '=', serverId)
    .where('error_code', '=', code)
    .where('created_at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Members whose sync was skipped or failed for a merchant reason since `since` (not Stripe failures). */
export async function usersHeldBackSince(db: Executor, serverId: string, since: number): Promise<string[]> {
  const rows = await db
    .selectFrom('sync_log')
    .select('discord_user_id as userId')
    .distinct()
    .where('server_id', '=', serverId)
    .where('outcome', 'in', ['skipped', 'failed'])
    .where('error_owner', '=', 'merchant')
    .where('action', '!=', 'billing') // a Stripe failure, not a member to re-sync
    .where('created_at', '>=', since)
    .execute();
  return rows.flatMap((r) => (r.userId === null ? [] : [r.userId]));
}
