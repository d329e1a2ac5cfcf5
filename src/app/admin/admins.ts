import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AppContext } from '../shared/context.js';
import { hashToken, revokeOtherSessions } from './sessions.js';
import {
  adminByDiscordUser,
  anyLiveAdmin,
  insertAdmin,
  insertAdminInvitation,
  liveAdminById,
  liveAdmins,
  markAdminRemoved,
  pendingInvitations,
  revokeOpenInvitation,
  revokeOpenSetupInvitations,
  updateAdmin,
  useInvitation,
} from './store.js';

/**
 * Who may administer (decision 0015): the first admin claims the instance with the one-time setup
 * link printed at first start; admins then invite others with one-time invitation links. Every link
 * is stored hashed and used up atomically, so two people opening the same link cannot both win.
 */

/** How long an invitation link works. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
/** How long the first-run setup link works (a new one is printed at every start until claimed). */
export const SETUP_TTL_MS = 7 * 86_400_000;

export type InvitationKind = 'setup' | 'invite';

export const signInPageUrl = (ctx: AppContext, token: string) =>
  `${ctx.publicUrl}/sign-in?invite=${encodeURIComponent(token)}`;

export async function hasAdmins(ctx: AppContext): Promise<boolean> {
  return anyLiveAdmin(ctx.db.kysely);
}

async function insertInvitation(
  ctx: AppContext,
  kind: InvitationKind,
  createdBy: string | null,
  ttl: number,
) {
  const now = ctx.clock.now();
  const token = randomBytes(24).toString('base64url');
  const id = newId('adminInvitation', now);
  await insertAdminInvitation(ctx.db.kysely, {
    id,
    kind,
    token_hash: hashToken(token),
    created_by: createdBy,
    created_at: now,
    expires_at: now + ttl,
    used_at: null,
    used_by: null,
    revoked_at: null,
  });
  return { id, token, url: signInPageUrl(ctx, token), expires_at: now + ttl };
}

/**
 * The first-run link, while nobody has claimed this instance: a new one at every start (the ones
 * printed before stop working). Null once there is an admin.
 */
export async function issueSetupLink(ctx: AppContext): Promise<string | null> {
  if (await hasAdmins(ctx)) return null;
  await revokeOpenSetupInvitations(ctx.db.kysely, ctx.clock.now());
  return (await insertInvitation(ctx, 'setup', null, SETUP_TTL_MS)).url;
}

/** `by`: the admin (`adm_…`) or API key (`key_…`) that asked. */
export async function createInvitation(ctx: AppContext, by: string | null) {
  return insertInvitation(ctx, 'invite', by, INVITATION_TTL_MS);
}

/** Pending invitations (not used, revoked or expired). */
export async function listInvitations(ctx: AppContext) {
  return pendingInvitations(ctx.db.kysely, ctx.clock.now());
}

export async function revokeInvitation(ctx: AppContext, id: string): Promise<boolean> {
  return revokeOpenInvitation(ctx.db.kysely, id, ctx.clock.now());
}

export async function listAdmins(ctx: AppContext) {
  return liveAdmins(ctx.db.kysely);
}

export async function loadAdmin(ctx: AppContext, id: string) {
  const row = await liveAdminById(ctx.db.kysely, id);
  if (!row) throw new AppError('not_found', `admin ${id} does not exist`);
  return row;
}

/** Removes an admin and ends their sessions; the last admin cannot be removed. */
export async function removeAdmin(ctx: AppContext, id: string): Promise<void> {
  await loadAdmin(ctx, id);
  const others = await anyLiveAdmin(ctx.db.kysely, id);
  if (!others) throw new AppError('conflict', 'the last admin cannot be removed: invite another admin first');
  await markAdminRemoved(ctx.db.kysely, id, ctx.clock.now());
  await revokeOtherSessions(ctx, id, null);
}

export type SignInOutcome =
  { kind: 'admin'; adminId: string; firstAdmin: boolean } | { kind: 'refused'; message: string };

/** Uses up an invitation (once, atomically); null when it is unknown, used, revoked or expired. */
async function consumeInvitation(ctx: AppContext, token: string, discordUserId: string) {
  if (token.length > 100) return null;
  const now = ctx.clock.now();
  return useInvitation(ctx.db.kysely, hashToken(token), discordUserId, now);
}

/**
 * A person Discord just identified wants in: an existing admin signs in; anyone else needs a live
 * invitation (or, while nobody has claimed the instance, the setup link).
 */
export async function signInAdmin(
  ctx: AppContext,
  user: { id: string; username: string },
  inviteToken: string | null,
): Promise<SignInOutcome> {
  const now = ctx.clock.now();
  const existing = await adminByDiscordUser(ctx.db.kysely, user.id);
  if (existing && existing.removed_at === null) {
    await updateAdmin(ctx.db.kysely, existing.id, { username: user.username, last_sign_in_at: now });
    return { kind: 'admin', adminId: existing.id, firstAdmin: false };
  }
  const refused = {
    kind: 'refused' as const,
    message: inviteToken
      ? 'This invitation link is invalid, expired or already used. Ask an admin for a new one.'
      : `${user.username} is not an admin of this Rolegate. Ask an admin for an invitation link.`,
  };
  if (!inviteToken) return refused;
  const firstAdmin = !(await hasAdmins(ctx));
  const invitation = await consumeInvitation(ctx, inviteToken, user.id);
  if (!invitation) return refused;
  if (invitation.kind === 'setup' && !firstAdmin)
    return {
      kind: 'refused',
      message: 'This Rolegate was already claimed. Ask its admin for an invitation.',
    };
  const values = {
    username: user.username,
    invited_by: invitation.created_by,
    created_at: now,
    last_sign_in_at: now,
    removed_at: null,
  };
  if (existing) {
    await updateAdmin(ctx.db.kysely, existing.id, values);
    return { kind: 'admin', adminId: existing.id, firstAdmin };
  }
  const id = newId('admin', now);
  await insertAdmin(ctx.db.kysely, { id, discord_user_id: user.id, ...values });
  return { kind: 'admin', adminId: id, firstAdmin };
}
