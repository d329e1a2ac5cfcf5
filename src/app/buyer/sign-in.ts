import type { PayloadOf } from '../../core/jobs.js';
import { buyerSignInJob } from './jobs.js';
import { escapeHtml } from '../../core/html.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import {
  emailedLinkState,
  emailLink,
  useEmailedLink,
  type BuyerTokenState,
  type EmailedLinkKind,
} from './emailed-links.js';
import { entitlementName } from './store/customers.js';

/**
 * Email sign-in for buyers (decision 0007). Someone typed a known buyer's email into an offer form:
 * we cannot tell the buyer from anyone else, so instead of their portal or session the buyer gets a
 * single-use link by email, and the browser that opens it may manage the purchase for an hour.
 */

/** How long an emailed sign-in link works. */
export const SIGN_IN_LINK_TTL_MS = 45 * 60_000;
/** At most this many sign-in emails per customer per hour, whoever asks: the form cannot flood an inbox. */
export const SIGN_IN_LINKS_PER_HOUR = 3;
/** How long a browser stays signed in after using the link. */
export const BUYER_SESSION_TTL_MS = 60 * 60_000;

const SIGN_IN_LINK: EmailedLinkKind = {
  purpose: 'sign_in',
  path: '/buyer/sign-in',
  ttlMs: SIGN_IN_LINK_TTL_MS,
  perHour: SIGN_IN_LINKS_PER_HOUR,
  name: 'sign-in link',
};

/** Queues the sign-in email (a burst of requests while one is queued sends one email). */
export async function requestSignInLink(
  ctx: AppContext,
  customerId: string,
  entitlementId: string | null,
): Promise<void> {
  await inTransaction(ctx, (tx) =>
    tx.enqueue(buyerSignInJob, { customerId, entitlementId }, { dedupeKey: `sign-in:${customerId}` }),
  );
}

export function renderSignInEmail(input: { offerName: string | null; url: string }) {
  const what = input.offerName ? `buy or manage ${input.offerName}` : 'manage your purchases';
  const subject = input.offerName ? `Your link to ${input.offerName}` : 'Your sign-in link';
  const text = [
    `Someone (we hope you) asked to ${what} with this email address.`,
    '',
    'Open this link to continue. It works once, for 45 minutes:',
    input.url,
    '',
    'If it was not you, ignore this email: nothing changes without this link.',
  ].join('\n');
  const html =
    `<p>Someone (we hope you) asked to ${escapeHtml(what)} with this email address.</p>` +
    `<p><a href="${escapeHtml(input.url)}">Continue</a> (the link works once, for 45 minutes).</p>` +
    '<p>If it was not you, ignore this email: nothing changes without this link.</p>';
  return { subject, text, html };
}

/** The job: mint a link and email it to the customer, unless the hourly limit is reached. */
export async function sendSignInLink(
  ctx: AppContext,
  { customerId, entitlementId }: PayloadOf<typeof buyerSignInJob>,
): Promise<void> {
  const offerName = entitlementId ? await entitlementName(ctx.db.kysely, entitlementId) : null;
  await emailLink(ctx, SIGN_IN_LINK, {
    customerId,
    entitlementId: offerName === null ? null : entitlementId,
    render: (url) => renderSignInEmail({ offerName, url }),
  });
}

/** What an opened sign-in link is, before the buyer confirms (opening it changes nothing). */
export async function signInLinkState(ctx: AppContext, token: string): Promise<BuyerTokenState | 'unknown'> {
  return emailedLinkState(ctx, SIGN_IN_LINK, token);
}

/** Who a browser is signed in as, and the offer they came from. */
export interface BuyerSession {
  customerId: string;
  entitlementId: string | null;
  expiresAt: number;
}

/** Uses the link (once, atomically): the session the confirming browser gets, or null. */
export async function signInWithLink(ctx: AppContext, token: string): Promise<BuyerSession | null> {
  const used = await useEmailedLink(ctx, SIGN_IN_LINK, token);
  if (!used) return null;
  return {
    customerId: used.customerId,
    entitlementId: used.entitlementId,
    expiresAt: used.usedAt + BUYER_SESSION_TTL_MS,
  };
}
