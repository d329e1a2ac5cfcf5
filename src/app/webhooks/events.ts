import type { Executor } from '../../adapters/store/db.js';
import { newId } from '../../core/ids.js';
import type { AppContext, Tx } from '../shared/context.js';
import { enabledEndpoints, hasLiveAttemptJobRow, insertDelivery } from './store.js';

/** Event types merchants can subscribe to. */
export const webhookEventTypes = [
  'entitlement_grant.created',
  'entitlement_grant.delivered',
  'entitlement_grant.failed',
  'entitlement_grant.revoked',
  'entitlement_grant.updated',
  'server.paused',
  'server.resumed',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The job that makes one attempt at one delivery (one message to one endpoint). */
export const WEBHOOK_DELIVER_JOB = 'webhook.deliver';

/**
 * One job = one HTTP attempt. The retry schedule lives in the handler (src/app/webhooks/deliver.ts),
 * which queues the next attempt as a new job; `attempt` lets a re-run of an attempt that already
 * committed (a crash before the job was marked done) see that it is stale and do nothing.
 */
export interface WebhookAttemptPayload {
  deliveryId: string;
  /** 1-based number of this attempt over the delivery's whole life (manual resends continue it). */
  attempt: number;
  /** 0-based position in the current retry series (a manual resend starts a new series at 0). */
  step: number;
}

/**
 * Queues one attempt inside `tx`. The queue's own retries (maxAttempts) only cover infrastructure
 * failures of the handler itself (database down); HTTP failures are the handler's schedule.
 */
export async function enqueueWebhookAttempt(tx: Tx, payload: WebhookAttemptPayload, runAt?: number) {
  await tx.enqueue({
    kind: WEBHOOK_DELIVER_JOB,
    payload,
    maxAttempts: 5,
    ...(runAt === undefined ? {} : { runAt }),
  });
}

/**
 * True when an attempt job for this delivery is queued or running. A `pending` delivery without
 * one was abandoned (its job died while the database was away) and may be resent.
 */
export async function hasLiveAttemptJob(db: Executor, deliveryId: string): Promise<boolean> {
  return hasLiveAttemptJobRow(db, WEBHOOK_DELIVER_JOB, deliveryId);
}

/**
 * Writes one delivery per subscribed, enabled endpoint and queues its send, inside `tx` (outbox):
 * the event exists if and only if the change that caused it committed.
 */
export async function emitWebhookEvent(ctx: AppContext, tx: Tx, type: string, data: unknown): Promise<void> {
  await emitToEndpoints(ctx, tx, type, data);
}

/**
 * Writes one delivery per matching endpoint (all subscribed enabled endpoints, or just `onlyEndpointId`
 * regardless of its filter: a test event) and queues its first attempt. Returns the delivery ids.
 */
export async function emitToEndpoints(
  ctx: AppContext,
  tx: Tx,
  type: string,
  data: unknown,
  onlyEndpointId?: string,
): Promise<string[]> {
  const endpoints = await enabledEndpoints(tx.db, onlyEndpointId);
  const ids: string[] = [];
  if (endpoints.length === 0) return ids;
  const now = ctx.clock.now();
  const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  for (const endpoint of endpoints) {
    const types = JSON.parse(endpoint.event_types) as string[];
    if (onlyEndpointId === undefined && types.length > 0 && !types.includes(type)) continue;
    const id = newId('webhookMessage', now);
    await insertDelivery(tx.db, {
      id,
      endpoint_id: endpoint.id,
      event_type: type,
      payload,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      last_status_code: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    });
    await enqueueWebhookAttempt(tx, { deliveryId: id, attempt: 1, step: 0 });
    ids.push(id);
  }
  return ids;
}
