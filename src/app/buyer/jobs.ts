import type { PeriodicTask } from '../../core/jobs.js';
import type { JobHandler } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { deleteExpiredOAuthStates } from '../access/install-state.js';
import { BUYER_SIGN_IN_JOB, sendSignInLink } from './sign-in.js';
import { deleteExpiredBuyerTokens } from './store/tokens.js';
import { PORTAL_SIGN_IN_JOB, sendPortalLink } from '../portal/sign-in.js';
import { deleteExpiredPortalSessions } from '../portal/store.js';

/** Job kinds of the buyer links: the sign-in emails, and the daily clean-up of dead links, states and portal sessions. */
export const BUYER_LINKS_CLEANUP_TASK = 'buyer_links.cleanup';
/** Dead links are kept a week past expiry (the hourly rate limits only need the last hour). */
const KEEP_EXPIRED_MS = 7 * 86_400_000;

export function buyerJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [BUYER_SIGN_IN_JOB]: (payload) => sendSignInLink(ctx, payload),
    [PORTAL_SIGN_IN_JOB]: (payload) => sendPortalLink(ctx, payload),
    [BUYER_LINKS_CLEANUP_TASK]: async () => {
      const before = ctx.clock.now() - KEEP_EXPIRED_MS;
      const tokens = await deleteExpiredBuyerTokens(ctx.db.kysely, before);
      const states = await deleteExpiredOAuthStates(ctx.db.kysely, before);
      const sessions = await deleteExpiredPortalSessions(ctx.db.kysely, ctx.clock.now());
      if (tokens + states + sessions > 0)
        ctx.log.info(
          { tokens, states, sessions },
          'deleted expired buyer links, OAuth states and portal sessions',
        );
    },
  };
}

export function buyerPeriodicTasks(): PeriodicTask[] {
  return [{ name: BUYER_LINKS_CLEANUP_TASK, everyMs: 86_400_000, kind: BUYER_LINKS_CLEANUP_TASK }];
}
