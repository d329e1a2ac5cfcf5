import { randomBytes } from 'node:crypto';
import { AppError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import {
  emitToEndpoints,
  enqueueWebhookAttempt,
  hasLiveAttemptJob,
  webhookEventTypes,
  type WebhookEventType,
} from './events.js';
import { assertSafeWebhookUrl, UnsafeUrlError } from './ssrf.js';
import {
  attemptsOfDeliveries,
  deleteEndpointCascade,
  deliveriesPage,
  deliveryById,
  endpointById,
  endpointsPage,
  insertEndpoint,
  updateDeliveryIf,
  updateEndpointRow,
  type AttemptRow,
  type DeliveryRow,
  type EndpointRow,
} from './store.js';

/** Merchant webhook endpoints: where events go, with their secret and event filter. */

export type { AttemptRow, DeliveryRow, EndpointRow };

/** The type of the event sent by `POST /api/webhook-endpoints/:id/test`. */
export const TEST_EVENT_TYPE = 'webhook_endpoint.test';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function endpointView(e: EndpointRow) {
  return {
    id: e.id,
    object: 'webhook_endpoint' as const,
    url: e.url,
    description: e.description,
    event_types: JSON.parse(e.event_types) as WebhookEventType[],
    enabled: e.enabled === 1,
    disabled_reason: e.disabled_reason,
    failing_since: iso(e.failing_since),
    created_at: iso(e.created_at) ?? '',
    updated_at: iso(e.updated_at) ?? '',
  };
}
export type EndpointView = ReturnType<typeof endpointView>;

export function deliveryView(d: DeliveryRow, attempts: AttemptRow[]) {
  return {
    id: d.id,
    object: 'webhook_delivery' as const,
    endpoint_id: d.endpoint_id,
    event_type: d.event_type,
    status: d.status as 'pending' | 'succeeded' | 'failed',
    payload: JSON.parse(d.payload) as unknown,
    attempt_count: d.attempts,
    next_attempt_at: iso(d.next_attempt_at),
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    created_at: iso(d.created_at) ?? '',
    updated_at: iso(d.updated_at) ?? '',
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      status_code: a.status_code,
      duration_ms: a.duration_ms,
      response_body: a.response_body,
      error: a.error,
      created_at: iso(a.created_at) ?? '',
    })),
  };
}
export type DeliveryView = ReturnType<typeof deliveryView>;

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function checkEventTypes(types: readonly string[]): string[] {
  const unknown = types.filter((t) => !(webhookEventTypes as readonly string[]).includes(t));
  if (unknown.length > 0)
    throw new AppError(
      'validation_failed',
      `event_types: unknown event type ${unknown.map((t) => `"${t}"`).join(', ')}; known: ${webhookEventTypes.join(', ')}`,
    );
  return [...new Set(types)];
}

async function checkUrl(ctx: AppContext, url: string): Promise<string> {
  try {
    return (await assertSafeWebhookUrl(url, { allowPrivate: ctx.config.WEBHOOKS_ALLOW_PRIVATE })).toString();
  } catch (err) {
    if (err instanceof UnsafeUrlError) throw new AppError('unprocessable', `url: ${err.message}`);
    throw err;
  }
}

export interface EndpointInput {
  url: string;
  description?: string | undefined;
  /** Empty or absent = every event type. */
  eventTypes?: readonly string[] | undefined;
}

/** Creates an endpoint; the secret is returned here (and by `getEndpointSecret`), stored encrypted. */
export async function createEndpoint(ctx: AppContext, input: EndpointInput) {
  const url = await checkUrl(ctx, input.url);
  const eventTypes = checkEventTypes(input.eventTypes ?? []);
  const now = ctx.clock.now();
  const secret = newWebhookSecret();
  const row: EndpointRow = {
    id: newId('webhookEndpoint', now),
    url,
    description: input.description ?? '',
    secret_enc: ctx.secrets.encrypt(secret),
    event_types: JSON.stringify(eventTypes),
    enabled: 1,
    disabled_reason: null,
    failing_since: null,
    created_at: now,
    updated_at: now,
  };
  await insertEndpoint(ctx.db.kysely, row);
  return { ...endpointView(row), secret };
}

async function endpointRow(ctx: AppContext, id: string): Promise<EndpointRow> {
  const row = await endpointById(ctx.db.kysely, id);
  if (!row) throw notFound('webhook endpoint', id);
  return row;
}

export async function getEndpoint(ctx: AppContext, id: string): Promise<EndpointView> {
  return endpointView(await endpointRow(ctx, id));
}

export async function getEndpointSecret(ctx: AppContext, id: string): Promise<{ secret: string }> {
  return { secret: ctx.secrets.decrypt((await endpointRow(ctx, id)).secret_enc) };
}

export async function listEndpoints(
  ctx: AppContext,
  page: { afterId?: string | undefined; limit: number },
): Promise<EndpointRow[]> {
  return endpointsPage(ctx.db.kysely, page);
}

export interface EndpointPatch {
  url?: string | undefined;
  description?: string | undefined;
  eventTypes?: readonly string[] | undefined;
  /** true re-enables a disabled endpoint and forgets its failure streak. */
  enabled?: boolean | undefined;
}

export async function updateEndpoint(
  ctx: AppContext,
  id: string,
  patch: EndpointPatch,
): Promise<EndpointView> {
  const current = await endpointRow(ctx, id);
  const update: Partial<EndpointRow> = { updated_at: ctx.clock.now() };
  if (patch.url !== undefined) update.url = await checkUrl(ctx, patch.url);
  if (patch.description !== undefined) update.description = patch.description;
  if (patch.eventTypes !== undefined) update.event_types = JSON.stringify(checkEventTypes(patch.eventTypes));
  if (patch.enabled === true && current.enabled !== 1) {
    update.enabled = 1;
    update.disabled_reason = null;
    update.failing_since = null;
  } else if (patch.enabled === false && current.enabled === 1) {
    update.enabled = 0;
    update.disabled_reason = 'disabled through the API';
  }
  await updateEndpointRow(ctx.db.kysely, id, update);
  return endpointView({ ...current, ...update });
}

/** Deletes an endpoint with its delivery log; queued attempts find no delivery and do nothing. */
export async function deleteEndpoint(ctx: AppContext, id: string): Promise<void> {
  await endpointRow(ctx, id);
  await inTransaction(ctx, (tx) => deleteEndpointCascade(tx.db, id));
}

async function attemptsOf(ctx: AppContext, deliveryIds: string[]): Promise<Map<string, AttemptRow[]>> {
  const byDelivery = new Map<string, AttemptRow[]>();
  if (deliveryIds.length === 0) return byDelivery;
  const rows = await attemptsOfDeliveries(ctx.db.kysely, deliveryIds);
  for (const a of rows) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
  return byDelivery;
}

/** One endpoint's deliveries, newest first, each with its attempt log. */
export async function listDeliveries(
  ctx: AppContext,
  endpointId: string,
  page: { afterId?: string | undefined; limit: number; status?: string | undefined },
): Promise<{ rows: DeliveryRow[]; view: (d: DeliveryRow) => DeliveryView }> {
  await endpointRow(ctx, endpointId);
  const rows = await deliveriesPage(ctx.db.kysely, endpointId, page);
  const attempts = await attemptsOf(
    ctx,
    rows.map((r) => r.id),
  );
  return { rows, view: (d) => deliveryView(d, attempts.get(d.id) ?? []) };
}

export async function getDelivery(ctx: AppContext, id: string): Promise<DeliveryView> {
  const d = await deliveryById(ctx.db.kysely, id);
  if (!d) throw notFound('webhook delivery', id);
  return deliveryView(d, (await attemptsOf(ctx, [id])).get(id) ?? []);
}

/**
 * Sends a finished delivery again: a new series of attempts with the same `webhook-id`, so a
 * receiver that did process it can tell. A delivery still being retried is refused (409): it has
 * a series running already.
 */
export async function resendDelivery(ctx: AppContext, id: string): Promise<DeliveryView> {
  const d = await deliveryById(ctx.db.kysely, id);
  if (!d) throw notFound('webhook delivery', id);
  if (d.status === 'pending' && (await hasLiveAttemptJob(ctx.db.kysely, id)))
    throw new AppError(
      'conflict',
      `delivery ${id} is still being retried${d.next_attempt_at ? ` (next attempt at ${iso(d.next_attempt_at)})` : ''}; resend it once it has finished`,
    );
  const endpoint = await endpointRow(ctx, d.endpoint_id);
  if (endpoint.enabled !== 1)
    throw new AppError(
      'conflict',
      `webhook endpoint ${endpoint.id} is disabled (${endpoint.disabled_reason ?? 'no reason given'}); enable it first`,
    );
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const updated = await updateDeliveryIf(
      tx.db,
      id,
      { status: d.status, attempts: d.attempts },
      { status: 'pending', next_attempt_at: now, updated_at: now },
    );
    if (!updated) throw new AppError('conflict', `delivery ${id} changed while resending; try again`);
    await enqueueWebhookAttempt(tx, { deliveryId: id, attempt: d.attempts + 1, step: 0 });
  });
  return getDelivery(ctx, id);
}

/** Queues a `webhook_endpoint.test` event to one enabled endpoint, whatever its event filter. */
export async function sendTestEvent(ctx: AppContext, endpointId: string): Promise<DeliveryView> {
  const endpoint = await endpointRow(ctx, endpointId);
  if (endpoint.enabled !== 1)
    throw new AppError(
      'conflict',
      `webhook endpoint ${endpointId} is disabled (${endpoint.disabled_reason ?? 'no reason given'}); enable it first`,
    );
  const [id] = await inTransaction(ctx, (tx) =>
    emitToEndpoints(
      ctx,
      tx,
      TEST_EVENT_TYPE,
      { endpoint_id: endpointId, message: 'A test event from Rolegate: your endpoint is reachable.' },
      endpointId,
    ),
  );
  if (id === undefined)
    throw new AppError('conflict', `webhook endpoint ${endpointId} was disabled meanwhile`);
  return getDelivery(ctx, id);
}
