import { newId } from '../core/ids.js';
import type { AppContext, Tx } from './context.js';

/** Event types merchants can subscribe to. */
export const webhookEventTypes = [
  'entitlement_grant.created',
  'entitlement_grant.delivered',
  'entitlement_grant.failed',
  'entitlement_grant.revoked',
  'entitlement_grant.updated',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The job that sends one delivery (one message to one endpoint). */
export const WEBHOOK_DELIVER_JOB = 'webhook.deliver';

/**
 * Writes one delivery per subscribed, enabled endpoint and queues its send, inside `tx` (outbox):
 * the event exists if and only if the change that caused it committed.
 */
export async function emitWebhookEvent(ctx: AppContext, tx: Tx, type: string, data: unknown): Promise<void> {
  const endpoints = await tx.db
    .selectFrom('webhook_endpoints')
    .select(['id', 'event_types'])
    .where('enabled', '=', 1)
    .execute();
  if (endpoints.length === 0) return;
  const now = ctx.clock.now();
  const payload = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  for (const endpoint of endpoints) {
    const types = JSON.parse(endpoint.event_types) as string[];
    if (types.length > 0 && !types.includes(type)) continue;
    const id = newId('webhookMessage', now);
    await tx.db
      .insertInto('webhook_deliveries')
      .values({
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
      })
      .execute();
    await tx.enqueue({ kind: WEBHOOK_DELIVER_JOB, payload: { deliveryId: id }, maxAttempts: 1 });
  }
}
