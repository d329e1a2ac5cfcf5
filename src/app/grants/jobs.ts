import { z } from 'zod';
import { defineJob, defineTask } from '../../core/jobs.js';

/** The grants' job kinds (handlers: ./job-handlers.ts; the invitation's handler is the buyer's). */

/** Ends an N-day grant at its end time. */
export const grantExpireJob = defineJob('grant.expire', z.object({ grantId: z.string() }));

/** Periodic: ends every grant whose end passed (catches an expiry job that was lost). */
export const grantsSweepExpiredTask = defineTask('grants.sweep_expired');

/** Emails the buyer the Connect Discord link and claim code (handled by the buyer side). */
export const grantSendInvitationJob = defineJob(
  'grant.send_invitation',
  z.object({ grantId: z.string(), cause: z.string() }),
);
export type GrantInvitationPayload = z.infer<typeof grantSendInvitationJob.schema>;
