import { createHash, randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import type { BuyerTokensTable } from '../../../adapters/store/schema.js';
import { newId } from '../../../core/ids.js';

/**
 * Single-use links that act for a buyer (decision 0007): 32 random bytes in the link, only their
 * SHA-256 in the database, an expiry, and `used_at` set once by the one request that uses it.
 * These are the table's only queries.
 */

export type BuyerTokenPurpose = 'sign_in' | 'connect' | 'portal';

/** A single-use link as the use cases see it (never its hash). */
export interface BuyerLink {
  id: string;
  purpose: BuyerTokenPurpose;
  customerId: string;
  /** The purchase it was sent for (Connect links), else null. */
  grantId: string | null;
  /** The offer it was asked from (sign-in links), else null. */
  entitlementId: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

function toLink(row: Selectable<BuyerTokensTable>): BuyerLink {
  return {
    id: row.id,
    purpose: row.purpose as BuyerTokenPurpose,
    customerId: row.customer_id,
    grantId: row.grant_id,
    entitlementId: row.entitlement_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
  };
}

/** What a token in a URL looks like (base64url of 32 bytes); anything else is refused unread. */
export const BUYER_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function mintBuyerToken(
  db: Executor,
  input: {
    purpose: BuyerTokenPurpose;
    customerId: string;
    grantId?: string | null;
    entitlementId?: string | null;
    ttlMs: number;
    now: number;
  },
): Promise<{ token: string; link: BuyerLink }> {
  const token = randomBytes(32).toString('base64url');
  const row: Selectable<BuyerTokensTable> = {
    id: newId('buyerToken', input.now),
    purpose: input.purpose,
    customer_id: input.customerId,
    grant_id: input.grantId ?? null,
    entitlement_id: input.entitlementId ?? null,
    token_hash: hashToken(token),
    created_at: input.now,
    expires_at: input.now + input.ttlMs,
    used_at: null,
  };
  await db.insertInto('buyer_tokens').values(row).execute();
  return { token, link: toLink(row) };
}

/** The link a token belongs to, used or not; null when it is unknown, malformed or for another purpose. */
export async function findBuyerToken(
  db: Executor,
  purpose: BuyerTokenPurpose,
  token: string,
): Promise<BuyerLink | null> {
  if (!BUYER_TOKEN_PATTERN.test(token)) return null;
  const row = await db
    .selectFrom('buyer_tokens')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('purpose', '=', purpose)
    .executeTakeFirst();
  return row ? toLink(row) : null;
}

export async function buyerTokenById(db: Executor, id: string): Promise<BuyerLink | null> {
  const row = await db.selectFrom('buyer_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toLink(row) : null;
}

/** Uses the link: true for exactly one caller, however many race; false when used or expired. */
export async function consumeBuyerToken(db: Executor, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('buyer_tokens')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Links of one purpose sent to a customer since `since` (the per-customer rate limits count these). */
export async function countBuyerTokensSince(
  db: Executor,
  customerId: string,
  purpose: BuyerTokenPurpose,
  since: number,
): Promise<number> {
  const row = await db
    .selectFrom('buyer_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_id', '=', customerId)
    .where('purpose', '=', purpose)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A link whose email could not be sent never existed. */
export async function deleteBuyerToken(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('buyer_tokens').where('id', '=', id).execute();
}

/** Forgets links that expired before `before` (their rows only served the rate limits since). */
export async function deleteExpiredBuyerTokens(db: Executor, before: number): Promise<number> {
  const r = await db.deleteFrom('buyer_tokens').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
