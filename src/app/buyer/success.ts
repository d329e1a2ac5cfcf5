import { FailureError } from '../../core/failure.js';
import type { AppContext } from '../shared/context.js';
import { requireStripe } from '../shared/services.js';
import { syncCheckoutSession } from '../billing/lifecycle.js';
import { CONNECT_LINK_PAGE_TTL_MS, connectLinkUrl } from './connect.js';
import { customerDiscordUser, grantIdsOfCustomer } from './store/customers.js';

/**
 * What the page Stripe sends a buyer back to (`/checkout/success?session_id=…`) may show (decision
 * 0007). A session id is no secret worth the name (it sits in a URL, browser history, referrers),
 * so the Connect Discord link and the claim code go only to the browser that started the checkout,
 * and only when linking cannot move anything that was not bought in that browser: the link binds a
 * Discord account to the whole customer, and the email typed at checkout was never verified.
 */

/** What this browser has shown it owns: checkouts it started, customers it signed in as. */
export interface BrowserClaims {
  grantIds: readonly string[];
  customerIds: readonly string[];
}

export type SuccessView =
  | { kind: 'not_found' }
  | { kind: 'processing' }
  | { kind: 'linked' }
  | { kind: 'connect'; connectUrl: string; claimCode: string | null }
  | { kind: 'check_email' };

/** Stripe's Checkout Session ids (`cs_test_…`, `cs_live_…`); anything else cannot be one. */
const SESSION_ID = /^cs_(test|live)_[A-Za-z0-9]{1,250}$/;

/** The session re-read and applied (as its webhook would), or null when Stripe has no such session. */
async function fulfilledGrant(ctx: AppContext, sessionId: string) {
  requireStripe(ctx);
  try {
    return await syncCheckoutSession(ctx, sessionId);
  } catch (err) {
    if (err instanceof FailureError && err.failure.owner === 'bug') {
      ctx.log.info(
        { sessionId, failure: err.failure.code },
        'success page for a session Stripe does not know',
      );
      return null;
    }
    throw err;
  }
}

/** True when linking this customer's Discord from this browser moves nothing bought elsewhere. */
async function linkingIsSafe(ctx: AppContext, customerId: string, browser: BrowserClaims): Promise<boolean> {
  if (browser.customerIds.includes(customerId)) return true;
  const grantIds = await grantIdsOfCustomer(ctx.db.kysely, customerId);
  return grantIds.every((id) => browser.grantIds.includes(id));
}

export async function successView(
  ctx: AppContext,
  sessionId: string,
  browser: BrowserClaims,
): Promise<SuccessView> {
  if (!SESSION_ID.test(sessionId)) return { kind: 'not_found' };
  const grant = await fulfilledGrant(ctx, sessionId);
  if (!grant) return { kind: 'not_found' };
  if (grant.active !== 1) return { kind: 'processing' };
  const customerId = grant.customer_id;
  const discordUserId = await customerDiscordUser(ctx.db.kysely, customerId);
  if (discordUserId === undefined) throw new Error(`customer ${customerId} of grant ${grant.id} is missing`);
  // Says only that roles are on their way to an account the buyer already chose: safe for anyone.
  if (discordUserId) return { kind: 'linked' };
  if (!browser.grantIds.includes(grant.id) || !(await linkingIsSafe(ctx, customerId, browser)))
    return { kind: 'check_email' };
  const connectUrl = await connectLinkUrl(ctx, {
    customerId,
    grantId: grant.id,
    ttlMs: CONNECT_LINK_PAGE_TTL_MS,
  });
  return { kind: 'connect', connectUrl, claimCode: grant.claim_code };
}
