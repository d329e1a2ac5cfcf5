import type { JobHandler } from '../../core/jobs.js';
import type { PeriodicTask } from '../../core/jobs.js';
import type { AppContext } from '../shared/context.js';
import { DISCORD_DM_JOB, runDirectMessageJob } from './dm.js';
import { LINK_REFRESH_TASK, refreshExpiringLinks } from './discord-link.js';
import { GRANT_SEND_INVITATION_JOB, sendInvitation } from './invitation.js';
import { ROLES_CHANNEL_PUBLISH_JOB, runRolesChannelJob } from './roles-channel.js';

/** Job kinds of the buyer-facing Discord parts (DMs, invitations, roles channel, link refresh). */
export function discordUxJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [DISCORD_DM_JOB]: (payload) => runDirectMessageJob(ctx, payload),
    [GRANT_SEND_INVITATION_JOB]: (payload) => sendInvitation(ctx, payload),
    [ROLES_CHANNEL_PUBLISH_JOB]: (payload) => runRolesChannelJob(ctx, payload),
    [LINK_REFRESH_TASK]: async () => {
      const refreshed = await refreshExpiringLinks(ctx);
      if (refreshed > 0) ctx.log.info({ refreshed }, 'refreshed Discord links before expiry');
    },
  };
}

export function discordUxPeriodicTasks(): PeriodicTask[] {
  return [{ name: LINK_REFRESH_TASK, everyMs: 3_600_000, kind: LINK_REFRESH_TASK }];
}
