import type { AppContext } from '../shared/context.js';
import { customerEmail } from './store/customers.js';
import {
  consumeBuyerToken,
  countBuyerTokensSince,
  deleteBuyerToken,
  findBuyerToken,
  mintBuyerToken,
  type BuyerLink,
  type BuyerTokenPurpose,
} from './store/tokens.js';

/**
 * Single-use links emailed to a customer's own address: the buyer's sign-in link (decision 0007)
 * and the customer portal's (decision 0021) are one use case with two settings. A link is minted
 * only when the email can go, at most `perHour` a customer per hour whoever asks, and deleted again
 * when the email could not be sent (the job retries with a new one).
 */

export interface EmailedLinkKind {
  purpose: Extract<BuyerTokenPurpose, 'sign_in' | 'portal'>;
  /** The page the link opens: `${publicUrl}${path}?token=…`. */
  path: string;
  ttlMs: number;
  perHour: number;
  /** What the log calls it. */
  name: string;
}

export interface LinkEmail {
  subject: string;
  text: string;
  html: string;
}

const HOUR_MS = 3_600_000;

export type BuyerTokenState = 'usable' | 'used' | 'expired';

/** What a link is now: usable, used once already, or past its expiry. */
export function buyerTokenState(link: Pick<BuyerLink, 'usedAt' | 'expiresAt'>, now: number): BuyerTokenState {
  if (link.usedAt !== null) return 'used';
  return link.expiresAt <= now ? 'expired' : 'usable';
}

/** True while fewer than `perHour` links of this purpose were minted for the customer in the last hour. */
export async function underHourlyLimit(
  ctx: AppContext,
  customerId: string,
  purpose: BuyerTokenPurpose,
  perHour: number,
): Promise<boolean> {
  const since = ctx.clock.now() - HOUR_MS;
  return (await countBuyerTokensSince(ctx.db.kysely, customerId, purpose, since)) < perHour;
}

/** Mints a link and emails it to the customer, unless they have no email or the hourly limit is reached. */
export async function emailLink(
  ctx: AppContext,
  kind: EmailedLinkKind,
  input: { customerId: string; entitlementId?: string | null; render: (url: string) => LinkEmail },
): Promise<void> {
  const db = ctx.db.kysely;
  const { customerId } = input;
  const to = await customerEmail(db, customerId);
  if (!to) return;
  if (!(await underHourlyLimit(ctx, customerId, kind.purpose, kind.perHour))) {
    ctx.log.info({ customerId }, `${kind.name} not sent: hourly limit for this customer reached`);
    return;
  }
  const { token, link } = await mintBuyerToken(db, {
    purpose: kind.purpose,
    customerId,
    entitlementId: input.entitlementId ?? null,
    ttlMs: kind.ttlMs,
    now: ctx.clock.now(),
  });
  try {
    await ctx.ports.mail.send({ to, ...input.render(`${ctx.publicUrl}${kind.path}?token=${token}`) });
  } catch (err) {
    // Unsent, the link must not count against the limit nor linger: the job retries with a new one.
    await deleteBuyerToken(db, link.id);
    throw err;
  }
}

/** What an opened link is, before the buyer confirms (opening it changes nothing). */
export async function emailedLinkState(
  ctx: AppContext,
  kind: EmailedLinkKind,
  token: string,
): Promise<BuyerTokenState | 'unknown'> {
  const link = await findBuyerToken(ctx.db.kysely, kind.purpose, token);
  return link ? buyerTokenState(link, ctx.clock.now()) : 'unknown';
}

export interface UsedLink {
  customerId: string;
  entitlementId: string | null;
  usedAt: number;
}

/** Uses the link (once, atomically, however many race); null when it is unknown, used or expired. */
export async function useEmailedLink(
  ctx: AppContext,
  kind: EmailedLinkKind,
  token: string,
): Promise<UsedLink | null> {
  const link = await findBuyerToken(ctx.db.kysely, kind.purpose, token);
  const now = ctx.clock.now();
  if (!link || !(await consumeBuyerToken(ctx.db.kysely, link.id, now))) return null;
  return { customerId: link.customerId, entitlementId: link.entitlementId, usedAt: now };
}
