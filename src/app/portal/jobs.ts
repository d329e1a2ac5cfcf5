import { z } from 'zod';
import { defineJob } from '../../core/jobs.js';

/** Emails a customer the portal sign-in link (handler registered in ../buyer/job-handlers.ts). */
export const portalSignInJob = defineJob('portal.send_sign_in', z.object({ customerId: z.string() }));
