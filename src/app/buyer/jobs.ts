import { z } from 'zod';
import { defineJob, defineTask } from '../../core/jobs.js';
import type { DiscordMessageBody } from '../../core/ports/discord.js';

/** The buyer side's job kinds (handlers: ./job-handlers.ts). */

/** A direct message to a buyer (a copy of something they can get elsewhere). */
export const directMessageJob = defineJob(
  'discord.send_dm',
  z.object({
    userId: z.string(),
    body: z.custom<DiscordMessageBody>(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
      'a message body (an object)',
    ),
    /** What caused it (`interaction:…`, `grant:…`), for the log. */
    cause: z.string(),
  }),
);
export type DirectMessagePayload = z.infer<typeof directMessageJob.schema>;

/** Posts or edits a server's roles-channel message. */
export const rolesChannelPublishJob = defineJob(
  'roles_channel.publish',
  z.object({
    serverId: z.string(),
    /** A person asked (picked a channel, pressed publish): try even after a refused attempt. */
    force: z.boolean().optional(),
  }),
);
export type RolesChannelPayload = z.infer<typeof rolesChannelPublishJob.schema>;

/** Periodic: refreshes Discord links before their tokens expire. */
export const linkRefreshTask = defineTask('discord_links.refresh');

/** Periodic: queues the "access ending" emails that are due. */
export const remindersSweepTask = defineTask('reminders.sweep');
/** "Your access ends in 3 days". */
export const accessEndingJob = defineJob(
  'reminder.access_ending',
  z.object({ grantId: z.string(), endsAt: z.number() }),
);
/** "Your payment failed" (once per grace period). */
export const paymentFailedJob = defineJob('reminder.payment_failed', z.object({ grantId: z.string() }));

/** Emails a buyer a sign-in link. */
export const buyerSignInJob = defineJob(
  'buyer.send_sign_in',
  z.object({ customerId: z.string(), entitlementId: z.string().nullable() }),
);

/** Periodic: deletes dead links, OAuth states and portal sessions. */
export const buyerLinksCleanupTask = defineTask('buyer_links.cleanup');
