import type { AppContext, Tx } from '../shared/context.js';
import { enqueueMemberCheck, enqueueMemberSync } from '../grants/grants.js';
import { customerDiscordUser } from './store/customers.js';
import {
  discordLinkOf,
  forgetFormerAccount,
  recordFormerAccount,
  saveDiscordLink,
  serversOfLiveGrants,
  setCustomerDiscordUser,
  type DiscordLink,
  type LinkFields,
  type LinkTokens,
} from './store/discord-links.js';

/**
 * Which Discord account a customer's roles go to (decision 0007): set by the OAuth link or by
 * `/claim`, and switched by linking another account. Roles follow the customer's `discord_user_id`;
 * member sync does the Discord side, so linking only changes rows and queues syncs.
 */

export interface LinkAccountInput {
  customerId: string;
  discordUserId: string;
  username: string | null;
  /** New OAuth tokens (the link flow); `/claim` has none. */
  tokens?: LinkTokens;
  cause: string;
}

/** The link as it is after linking `input`: tokens belong to one account, so a switch without new ones drops the old. */
function nextLink(existing: DiscordLink | null, input: LinkAccountInput): LinkFields {
  const same = existing?.discord_user_id === input.discordUserId ? existing : null;
  const tokens = input.tokens ?? {
    access_token_enc: same?.access_token_enc ?? null,
    refresh_token_enc: same?.refresh_token_enc ?? null,
    token_expires_at: same?.token_expires_at ?? null,
    scope: same?.scope ?? null,
  };
  return {
    customer_id: input.customerId,
    discord_user_id: input.discordUserId,
    username: input.username ?? same?.username ?? null,
    ...tokens,
    token_invalid_at: input.tokens ? null : (same?.token_invalid_at ?? null),
  };
}

/**
 * Points a customer at a Discord account (OAuth or `/claim`), inside `tx`. When the account changes,
 * syncs are queued for BOTH accounts on every server the customer has grants on: the old one loses
 * the roles (no live grant points at it any more), the new one gets them. Returns the old account.
 */
export async function linkCustomerToDiscord(
  ctx: AppContext,
  tx: Tx,
  input: LinkAccountInput,
): Promise<string | null> {
  const now = ctx.clock.now();
  const previous = await customerDiscordUser(tx.db, input.customerId);
  if (previous === undefined) throw new Error(`customer ${input.customerId} does not exist`);
  const existing = await discordLinkOf(tx.db, input.customerId);
  await saveDiscordLink(tx.db, nextLink(existing, input), existing !== null, now);
  await setCustomerDiscordUser(tx.db, input.customerId, input.discordUserId, now);
  const switched = previous !== null && previous !== input.discordUserId;
  if (switched) await recordFormerAccount(tx.db, input.customerId, previous, now);
  // Linking back to a former account makes it current again.
  await forgetFormerAccount(tx.db, input.customerId, input.discordUserId);

  for (const serverId of await serversOfLiveGrants(tx.db, input.customerId)) {
    // After a switch the grants' recorded roles describe the previous account: both are read.
    if (switched) {
      await enqueueMemberCheck(tx, serverId, input.discordUserId, input.cause);
      await enqueueMemberCheck(tx, serverId, previous, `${input.cause} (account switched)`);
    } else await enqueueMemberSync(tx, serverId, input.discordUserId, input.cause);
  }
  if (switched)
    ctx.log.info(
      { customerId: input.customerId, from: previous, to: input.discordUserId },
      'customer switched Discord account',
    );
  return previous;
}
