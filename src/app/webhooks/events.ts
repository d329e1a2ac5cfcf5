import type { Executor } from '../../adapters/store/db.js';
import { newId } from '../../core/ids.js';
import type { AppContext, Tx } from '../shared/context.js';
import { webhookDeliverJob, type WebhookAttemptPayload } from './jobs.js';
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

/**
 * Queues one attempt inside `tx`. The queue's own retries (maxAttempts) only cover infrastructure
 * failures of the handler itself (database down); HTTP failures are the handler's schedule.
 */
export async function enqueueWebhookAttempt(tx: Tx, payload: WebhookAttemptPayload, runAt?: number) {
  await tx.enqueue(webhookDeliverJob, payload, {
    maxAttempts: 5,
    ...(runAt === undefined ? {} : { runAt }),
  });
}

/**
 * True when an attempt job for this delivery is queued or running. A `pending` delivery without
 * one was abandoned (its job died while the database was away) and may be resent.
 */
export async function hasLiveAttemptJob(db: Executor, deliveryId: string): Promise<boolean> {
  return hasLiveAttemptJobRow(db, webhookDeliverJob.kind, deliveryId);
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
