import { everyPeriod, handle, type PeriodicTask, type RegisteredJob } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { deleteExpiredOAuthStates } from '../access/install-state.js';
import { sendSignInLink } from './sign-in.js';
import { deleteExpiredBuyerTokens } from './store/tokens.js';
import { sendPortalLink } from '../portal/sign-in.js';
import { portalSignInJob } from '../portal/jobs.js';
import { deleteExpiredPortalSessions } from '../portal/store.js';
import { grantSendInvitationJob } from '../grants/jobs.js';
import { runDirectMessageJob } from './dm.js';
import { refreshExpiringLinks } from './discord-link.js';
import { sendInvitation } from './invitation.js';
import { runRolesChannelJob } from './roles-channel.js';
import {
  REMINDERS_SWEEP_EVERY_MS,
  sendAccessEndingReminder,
  sendPaymentFailedReminder,
  sweepReminders,
} from './reminders.js';
import {
  accessEndingJob,
  buyerLinksCleanupTask,
  buyerSignInJob,
  directMessageJob,
  linkRefreshTask,
  paymentFailedJob,
  remindersSweepTask,
  rolesChannelPublishJob,
} from './jobs.js';

/** Dead links are kept a week past expiry (the hourly rate limits only need the last hour). */
const KEEP_EXPIRED_MS = 7 * 86_400_000;

/** The daily clean-up of dead links, OAuth states and portal sessions. */
async function cleanUpBuyerLinks(ctx: AppContext): Promise<void> {
  const before = ctx.clock.now() - KEEP_EXPIRED_MS;
  const tokens = await deleteExpiredBuyerTokens(ctx.db.kysely, before);
  const states = await deleteExpiredOAuthStates(ctx.db.kysely, before);
  const sessions = await deleteExpiredPortalSessions(ctx.db.kysely, ctx.clock.now());
  if (tokens + states + sessions > 0)
    ctx.log.info(
      { tokens, states, sessions },
      'deleted expired buyer links, OAuth states and portal sessions',
    );
}

/**
 * The buyer side's job kinds and their handlers: DMs, invitations, the roles channel, link refresh,
 * reminder emails, sign-in emails (put together in src/main/job-handlers.ts).
 */
export function buyerJobs(ctx: AppContext): RegisteredJob[] {
  return [
    handle(directMessageJob, (payload) => runDirectMessageJob(ctx, payload)),
    handle(grantSendInvitationJob, (payload) => sendInvitation(ctx, payload)),
    handle(rolesChannelPublishJob, (payload) => runRolesChannelJob(ctx, payload)),
    handle(linkRefreshTask, async () => {
      const refreshed = await refreshExpiringLinks(ctx);
      if (refreshed > 0) ctx.log.info({ refreshed }, 'refreshed Discord links before expiry');
    }),
    handle(remindersSweepTask, async () => void (await sweepReminders(ctx))),
    handle(accessEndingJob, async (payload) => void (await sendAccessEndingReminder(ctx, payload))),
    handle(paymentFailedJob, async (payload) => void (await sendPaymentFailedReminder(ctx, payload))),
    handle(buyerSignInJob, (payload) => sendSignInLink(ctx, payload)),
    handle(portalSignInJob, (payload) => sendPortalLink(ctx, payload)),
    handle(buyerLinksCleanupTask, () => cleanUpBuyerLinks(ctx)),
  ];
}

export function buyerPeriodicTasks(): PeriodicTask[] {
  return [
    everyPeriod(linkRefreshTask, 3_600_000),
    everyPeriod(remindersSweepTask, REMINDERS_SWEEP_EVERY_MS),
    everyPeriod(buyerLinksCleanupTask, 86_400_000),
  ];
}
