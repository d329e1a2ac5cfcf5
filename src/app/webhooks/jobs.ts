import { z } from 'zod';
import { defineJob } from '../../core/jobs.js';

/**
 * One attempt at one delivery (one message to one endpoint). One job = one HTTP attempt. The retry
 * schedule lives in the handler (./deliver.ts), which queues the next attempt as a new job;
 * `attempt` lets a re-run of an attempt that already committed (a crash before the job was marked
 * done) see that it is stale and do nothing.
 */
export const webhookDeliverJob = defineJob(
  'webhook.deliver',
  z.object({
    deliveryId: z.string().min(1),
    /** 1-based number of this attempt over the delivery's whole life (manual resends continue it). */
    attempt: z.number().int().min(1),
    /** 0-based position in the current retry series (a manual resend starts a new series at 0). */
    step: z.number().int().min(0),
  }),
);
export type WebhookAttemptPayload = z.infer<typeof webhookDeliverJob.schema>;
