import { inTransaction, type AppContext } from '../shared/context.js';
import { linkCustomerToDiscord } from './account-link.js';
import { enqueueMemberCheck } from '../grants/grants.js';
import { claimantOf, grantByClaimCode, recordClaim } from './store/grants.js';

/**
 * `/claim CODE`: the code from the purchase email links the Discord user who types it to that
 * purchase's customer. Codes are one-time: once used, only the same Discord user can use it again
 * (which just re-runs their sync); anyone else is refused, so a leaked code cannot move the roles.
 */

const codeAlphabet = /^[0-9A-HJKMNP-TV-Z]{8}$/;

/** `abcd-efgh`, `ABCDEFGH`, ` abcd efgh ` → `ABCD-EFGH`; null when it cannot be a claim code. */
export function normalizeClaimCode(raw: string): string | null {
  const compact = raw.toUpperCase().replace(/[\s-]/g, '');
  if (!codeAlphabet.test(compact)) return null;
  return `${compact.slice(0, 4)}-${compact.slice(4)}`;
}

export type ClaimResult =
  | {
      kind: 'claimed';
      grantId: string;
      entitlementName: string;
      serverName: string;
      switchedFrom: string | null;
    }
  | { kind: 'already_yours'; grantId: string; entitlementName: string; serverName: string }
  | { kind: 'malformed' }
  | { kind: 'unknown_code' }
  | { kind: 'used_by_someone_else' }
  | { kind: 'ended'; entitlementName: string };

export async function claimGrant(
  ctx: AppContext,
  input: { code: string; discordUserId: string; username: string | null; cause: string },
): Promise<ClaimResult> {
  const code = normalizeClaimCode(input.code);
  if (!code) return { kind: 'malformed' };
  return inTransaction(ctx, async (tx) => {
    const grant = await grantByClaimCode(tx.db, code);
    if (!grant) return { kind: 'unknown_code' };
    if (grant.status === 'revoked') return { kind: 'ended', entitlementName: grant.entitlementName };
    const found = { grantId: grant.id, entitlementName: grant.entitlementName, serverName: grant.serverName };

    if (!(await recordClaim(tx.db, grant.id, input.discordUserId, ctx.clock.now()))) {
      if ((await claimantOf(tx.db, grant.id)) !== input.discordUserId)
        return { kind: 'used_by_someone_else' };
      // The same person again (e.g. after leaving and rejoining): re-run their sync.
      await enqueueMemberCheck(tx, grant.serverId, input.discordUserId, input.cause);
      return { kind: 'already_yours', ...found };
    }
    const previous = await linkCustomerToDiscord(ctx, tx, {
      customerId: grant.customerId,
      discordUserId: input.discordUserId,
      username: input.username,
      cause: input.cause,
    });
    return {
      kind: 'claimed',
      ...found,
      switchedFrom: previous && previous !== input.discordUserId ? previous : null,
    };
  });
}
