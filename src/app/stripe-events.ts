import { sql } from 'kysely';
import { z } from 'zod';
import type { Executor } from '../adapters/store/db.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { DEFAULT_MAX_ATTEMPTS } from '../jobs/queue.js';
import { inTransaction, type AppContext, type Tx } from './context.js';
import type { StripeEventEnvelope } from './ports/stripe.js';

/** The job that applies one stored Stripe event. */
export const STRIPE_PROCESS_EVENT_JOB = 'stripe.process_event';

export const processEventPayload = z.object({ eventId: z.string().min(1) });

/**
 * Stores one verified event in the inbox and queues its processing, in ONE transaction.
 * Returns false for a duplicate (already stored): it is acknowledged and nothing else happens.
 */
export async function storeStripeEvent(
  ctx: AppContext,
  tx: Tx,
  event: StripeEventEnvelope,
  payload: string,
): Promise<boolean> {
  const r = await tx.db
    .insertInto('inbox_events')
    .values({
      source: 'stripe',
      id: event.id,
      type: event.type,
      payload,
      received_at: ctx.clock.now(),
      processed_at: null,
      error: null,
    })
    .onConflict((oc) => oc.columns(['source', 'id']).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0n) !== 1) return false;
  await tx.enqueue({ kind: STRIPE_PROCESS_EVENT_JOB, payload: { eventId: event.id } });
  return true;
}

/**
 * The webhook path: verify the signature over the raw bytes (throws `invalid_signature` before
 * anything is stored), then inbox + job in one transaction.
 */
export async function ingestStripeWebhook(
  ctx: AppContext,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<{ id: string; duplicate: boolean }> {
  const stripe = ctx.ports.stripe;
  if (!stripe) throw new AppError('service_unavailable', 'Stripe is not configured on this instance');
  let event: StripeEventEnvelope;
  try {
    event = stripe.verifyWebhook(rawBody, signature);
  } catch (err) {
    ctx.metrics.failures.inc({ owner: 'customer', code: 'stripe_bad_signature' });
    throw new AppError(
      'bad_request',
      `Stripe signature check failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const payload = rawBody.toString('utf8');
  const stored =
    ctx.db.dialect === 'postgres'
      ? await storeInOneStatement(ctx, event, payload)
      : await inTransaction(ctx, (tx) => storeStripeEvent(ctx, tx, event, payload));
  return { id: event.id, duplicate: !stored };
}

/**
 * PostgreSQL: the inbox row and its job in ONE statement (a data-modifying CTE is atomic), so the
 * webhook answers after one round trip instead of four (BEGIN, two INSERTs, COMMIT).
 * The job row matches what `enqueue` writes for a job without a dedupe key.
 */
async function storeInOneStatement(ctx: AppContext, event: StripeEventEnvelope, payload: string) {
  const now = ctx.clock.now();
  const r = await sql<{ id: string }>`
    WITH ins AS (
      INSERT INTO inbox_events (source, id, type, payload, received_at)
      VALUES ('stripe', ${event.id}, ${event.type}, ${payload}, ${now}::bigint)
      ON CONFLICT (source, id) DO NOTHING RETURNING id
    )
    INSERT INTO jobs (id, kind, payload, status, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
    SELECT ${newId('job', now)}::text, ${STRIPE_PROCESS_EVENT_JOB}::text, ${JSON.stringify({ eventId: event.id })}::text,
      'queued', NULL, 0, ${DEFAULT_MAX_ATTEMPTS}::int, ${now}::bigint, ${now}::bigint, ${now}::bigint FROM ins
    RETURNING id`.execute(ctx.db.kysely);
  const stored = r.rows.length === 1;
  if (stored) ctx.nudge();
  return stored;
}

/** Marks an inbox event processed (or records why it failed, for the operator). */
export async function markEvent(db: Executor, id: string, now: number, error: string | null) {
  await db
    .updateTable('inbox_events')
    .set(error === null ? { processed_at: now, error: null } : { error: error.slice(0, 2000) })
    .where('source', '=', 'stripe')
    .where('id', '=', id)
    .execute();
}

/** Feeds events fetched from Stripe (reconcile) into the same inbox; returns how many were new. */
export async function feedUndeliveredEvents(
  ctx: AppContext,
  events: (StripeEventEnvelope & { payload: string })[],
): Promise<number> {
  let fresh = 0;
  for (const e of events) {
    if (await inTransaction(ctx, (tx) => storeStripeEvent(ctx, tx, e, e.payload))) fresh++;
  }
  return fresh;
}
