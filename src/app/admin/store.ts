import type { Executor } from '../../adapters/store/db.js';
import type { AdminInvitationsTable, AdminSessionsTable, ApiKeysTable } from '../../adapters/store/schema.js';

/**
 * The admin capability's queries: admins, their invitations and sessions (decision 0015), API keys.
 * Tokens and keys arrive here already hashed.
 */

// --- admins ---

export async function anyLiveAdmin(db: Executor, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('admins').select('id').where('removed_at', 'is', null);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

const adminColumns = [
  'id',
  'discord_user_id',
  'username',
  'invited_by',
  'created_at',
  'last_sign_in_at',
] as const;

export async function liveAdmins(db: Executor) {
  return db.selectFrom('admins').select(adminColumns).where('removed_at', 'is', null).orderBy('id').execute();
}

export async function liveAdminById(db: Executor, id: string) {
  const row = await db
    .selectFrom('admins')
    .select(adminColumns)
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row ?? null;
}

export async function markAdminRemoved(db: Executor, id: string, now: number): Promise<void> {
  await db.updateTable('admins').set({ removed_at: now }).where('id', '=', id).execute();
}

export async function adminByDiscordUser(db: Executor, discordUserId: string) {
  const row = await db
    .selectFrom('admins')
    .select(['id', 'removed_at'])
    .where('discord_user_id', '=', discordUserId)
    .executeTakeFirst();
  return row ?? null;
}

export interface AdminFields {
  username: string;
  invited_by?: string | null;
  created_at?: number;
  last_sign_in_at: number;
  removed_at?: number | null;
}

export async function updateAdmin(db: Executor, id: string, values: AdminFields): Promise<void> {
  await db.updateTable('admins').set(values).where('id', '=', id).execute();
}

export async function insertAdmin(
  db: Executor,
  row: Required<AdminFields> & { id: string; discord_user_id: string },
): Promise<void> {
  await db.insertInto('admins').values(row).execute();
}

// --- invitations ---

export async function insertAdminInvitation(db: Executor, row: AdminInvitationsTable): Promise<void> {
  await db.insertInto('admin_invitations').values(row).execute();
}

/** Revokes every unused setup link (a new one is printed at each start). */
export async function revokeOpenSetupInvitations(db: Executor, now: number): Promise<void> {
  await db
    .updateTable('admin_invitations')
    .set({ revoked_at: now })
    .where('kind', '=', 'setup')
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function pendingInvitations(db: Executor, now: number) {
  return db
    .selectFrom('admin_invitations')
    .select(['id', 'created_by', 'created_at', 'expires_at'])
    .where('kind', '=', 'invite')
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('id', 'desc')
    .execute();
}

export async function revokeOpenInvitation(db: Executor, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('admin_invitations')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('kind', '=', 'invite')
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Marks a live invitation used (atomically: one caller wins); null when there is none. */
export async function useInvitation(db: Executor, tokenHash: string, usedBy: string, now: number) {
  const row = await db
    .updateTable('admin_invitations')
    .set({ used_at: now, used_by: usedBy })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['id', 'kind', 'created_by'])
    .executeTakeFirst();
  return row ?? null;
}

// --- sessions ---

export async function insertAdminSession(db: Executor, row: AdminSessionsTable): Promise<void> {
  await db.insertInto('admin_sessions').values(row).execute();
}

/** The live session whose current token, or previous one within its grace, hashes to `hash`. */
export async function liveSessionByTokenHash(db: Executor, hash: string, now: number, idleMs: number) {
  const row = await db
    .selectFrom('admin_sessions as s')
    .innerJoin('admins as a', 'a.id', 's.admin_id')
    .select([
      's.id',
      's.admin_id',
      's.token_hash',
      's.previous_valid_until',
      's.rotated_at',
      's.last_seen_at',
    ])
    .where((eb) =>
      eb.or([
        eb('s.token_hash', '=', hash),
        eb.and([eb('s.previous_token_hash', '=', hash), eb('s.previous_valid_until', '>', now)]),
      ]),
    )
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .where('s.last_seen_at', '>', now - idleMs)
    .where('a.removed_at', 'is', null)
    .executeTakeFirst();
  return row ?? null;
}

/** Replaces the token of a session still holding `oldHash`; false when another request did first. */
export async function rotateSessionToken(
  db: Executor,
  id: string,
  oldHash: string,
  next: { tokenHash: string; previousValidUntil: number; now: number },
): Promise<boolean> {
  const r = await db
    .updateTable('admin_sessions')
    .set({
      token_hash: next.tokenHash,
      previous_token_hash: oldHash,
      previous_valid_until: next.previousValidUntil,
      rotated_at: next.now,
      last_seen_at: next.now,
    })
    .where('id', '=', id)
    .where('token_hash', '=', oldHash)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function liveSessionsOf(db: Executor, adminId: string, now: number, idleMs: number) {
  return db
    .selectFrom('admin_sessions')
    .select(['id', 'user_agent', 'ip', 'created_at', 'last_seen_at', 'expires_at'])
    .where('admin_id', '=', adminId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', now - idleMs)
    .orderBy('id', 'desc')
    .execute();
}

/** Revokes the admin's unrevoked sessions (one when `only` is given, all but `keepId` otherwise). */
export async function revokeSessions(
  db: Executor,
  adminId: string,
  now: number,
  which: { only?: string; keepId?: string | null },
): Promise<number> {
  let q = db
    .updateTable('admin_sessions')
    .set({ revoked_at: now })
    .where('admin_id', '=', adminId)
    .where('revoked_at', 'is', null);
  if (which.only) q = q.where('id', '=', which.only);
  if (which.keepId) q = q.where('id', '!=', which.keepId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function sessionLive(db: Executor, sessionId: string, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('admin_sessions as s')
    .innerJoin('admins as a', 'a.id', 's.admin_id')
    .select('s.id')
    .where('s.id', '=', sessionId)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .where('a.removed_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

// --- API keys ---

export async function insertApiKey(db: Executor, row: ApiKeysTable): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function allApiKeys(db: Executor) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'])
    .orderBy('id')
    .execute();
}

export async function markApiKeyRevoked(db: Executor, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function liveApiKeyByHash(db: Executor, hash: string) {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name'])
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ?? null;
}

export async function touchApiKey(db: Executor, id: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
