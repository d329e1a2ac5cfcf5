import type { Selectable } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import type { DiscordLinksTable } from '../../../adapters/store/schema.js';

/**
 * A customer's linked Discord account (`discord_links`: the account, its OAuth tokens encrypted,
 * whether Discord declared them dead) and the accounts they switched away from (`discord_link_history`).
 */

export type DiscordLink = Selectable<DiscordLinksTable>;
export type LinkTokens = Pick<
  DiscordLink,
  'access_token_enc' | 'refresh_token_enc' | 'token_expires_at' | 'scope'
>;
/** What a link says, without its bookkeeping times. */
export type LinkFields = Omit<DiscordLink, 'created_at' | 'updated_at'>;

export async function discordLinkOf(db: Executor, customerId: string): Promise<DiscordLink | null> {
  const row = await db
    .selectFrom('discord_links')
    .selectAll()
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return row ?? null;
}

/** Writes the customer's link: replaces the one they have (`exists`), or creates it. */
export async function saveDiscordLink(db: Executor, link: LinkFields, exists: boolean, now: number) {
  if (exists) {
    const { customer_id, ...fields } = link;
    await db
      .updateTable('discord_links')
      .set({ ...fields, updated_at: now })
      .where('customer_id', '=', customer_id)
      .execute();
  } else {
    await db
      .insertInto('discord_links')
      .values({ ...link, created_at: now, updated_at: now })
      .execute();
  }
}

/** Points the customer's roles at this Discord account. */
export async function setCustomerDiscordUser(
  db: Executor,
  customerId: string,
  discordUserId: string,
  now: number,
) {
  await db
    .updateTable('customers')
    .set({ discord_user_id: discordUserId, updated_at: now })
    .where('id', '=', customerId)
    .execute();
}

/** Remembers an account the customer switched away from (the last time, when it happened before). */
export async function recordFormerAccount(
  db: Executor,
  customerId: string,
  discordUserId: string,
  now: number,
) {
  await db
    .insertInto('discord_link_history')
    .values({ customer_id: customerId, discord_user_id: discordUserId, unlinked_at: now })
    .onConflict((oc) => oc.columns(['customer_id', 'discord_user_id']).doUpdateSet({ unlinked_at: now }))
    .execute();
}

/** An account that is current again is no longer a former one. */
export async function forgetFormerAccount(db: Executor, customerId: string, discordUserId: string) {
  await db
    .deleteFrom('discord_link_history')
    .where('customer_id', '=', customerId)
    .where('discord_user_id', '=', discordUserId)
    .execute();
}

/** The servers on which the customer has a grant that is not revoked. */
export async function serversOfLiveGrants(db: Executor, customerId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('grants')
    .select('server_id')
    .distinct()
    .where('customer_id', '=', customerId)
    .where('status', '!=', 'revoked')
    .execute();
  return rows.map((r) => r.server_id);
}

/**
 * Stores a rotated token pair, guarded by the refresh token that was used: false when another
 * worker (or a re-link) changed the link in between.
 */
export async function storeRotatedTokens(
  db: Executor,
  customerId: string,
  usedRefreshToken: string,
  tokens: LinkTokens,
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('discord_links')
    .set({ ...tokens, token_invalid_at: null, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('refresh_token_enc', '=', usedRefreshToken)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * Marks the link dead unless it already is (or, given `usedRefreshToken`, unless it holds another
 * refresh token by now); true when this call marked it.
 */
export async function markLinkInvalid(
  db: Executor,
  customerId: string,
  now: number,
  usedRefreshToken?: string,
): Promise<boolean> {
  let q = db
    .updateTable('discord_links')
    .set({ token_invalid_at: now, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('token_invalid_at', 'is', null);
  if (usedRefreshToken !== undefined) q = q.where('refresh_token_enc', '=', usedRefreshToken);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

/** The customer's live grants still waiting for delivery (pending or failed). */
export async function grantsAwaitingDelivery(db: Executor, customerId: string) {
  return db
    .selectFrom('grants')
    .select(['id', 'status', 'active'])
    .where('customer_id', '=', customerId)
    .where('active', '=', 1)
    .where('status', 'in', ['pending', 'failed'])
    .execute();
}

/** Live links whose access token expires before `before`, soonest first. */
export async function linksExpiringBefore(
  db: Executor,
  before: number,
  limit: number,
): Promise<DiscordLink[]> {
  return db
    .selectFrom('discord_links')
    .selectAll()
    .where('token_invalid_at', 'is', null)
    .where('refresh_token_enc', 'is not', null)
    .where('token_expires_at', '<', before)
    .orderBy('token_expires_at')
    .limit(limit)
    .execute();
}

/** The Discord username of the customer's link, when they linked by OAuth or `/claim`. */
export async function linkedUsername(db: Executor, customerId: string): Promise<string | null> {
  const row = await db
    .selectFrom('discord_links')
    .select('username')
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return row?.username ?? null;
}
