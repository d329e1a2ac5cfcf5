import { sql } from 'kysely';
import type { Executor } from '../../adapters/store/db.js';
import { AppError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { DEFAULT_MAX_ATTEMPTS } from '../../adapters/store/queue.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import type { StripeEventEnvelope, StripePort } from '../../core/ports/stripe.js';
import { reloadWebhookSecrets, storedWebhookSecrets } from '../setup/settings.js';
import { storableText } from '../../core/storable-text.js';
import { stripeProcessEventJob } from './jobs.js';

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
  await tx.enqueue(stripeProcessEventJob, { eventId: event.id });
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
    event = await verifyWithStoredSecrets(ctx, stripe, rawBody, signature);
  } catch (err) {
    ctx.metrics.failures.inc({ owner: 'customer', code: 'stripe_bad_signature' });
    throw new AppError(
      'bad_request',
      `Stripe signature check failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const payload = rawBody.toString('utf8');
  const stored = await groupCommitter(ctx).store(event, payload);
  return { id: event.id, duplicate: !stored };
}

/** Verifies with STRIPE_WEBHOOK_SECRET or the secret of the endpoint Rolegate created (setup). */
async function verifyWithStoredSecrets(
  ctx: AppContext,
  stripe: StripePort,
  rawBody: Buffer,
  signature: string | undefined,
): Promise<StripeEventEnvelope> {
  try {
    return stripe.verifyWebhook(rawBody, signature, await storedWebhookSecrets(ctx));
  } catch (err) {
    // Another instance may have created the endpoint since this one read the secrets.
    const fresh = await reloadWebhookSecrets(ctx);
    if (fresh === null) throw err;
    return stripe.verifyWebhook(rawBody, signature, fresh);
  }
}

interface PendingStore {
  event: StripeEventEnvelope;
  payload: string;
  resolve(stored: boolean): void;
  reject(err: unknown): void;
}

/**
 * A transaction per webhook pays one durable commit per event (and on SQLite serialises every
 * request behind the single writer). Events that arrive in the same event-loop turn are stored in ONE
 * transaction instead (group commit); each request is still answered only after the commit that holds its event, so nothing is
 * acknowledged before it is durable, and a failed commit fails every request in it (Stripe retries).
 */
class GroupCommitter {
  private pending: PendingStore[] = [];
  private scheduled = false;

  constructor(private readonly ctx: AppContext) {}

  store(event: StripeEventEnvelope, payload: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ event, payload, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    // At most 1,000 events a commit: five parameters each stays far below PostgreSQL's 65,535.
    const batch = this.pending.splice(0, 1000);
    try {
      const results = await storeBatch(this.ctx, batch);
      batch.forEach((p, i) => p.resolve(results[i] ?? false));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.scheduled = false;
      if (this.pending.length > 0) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    }
  }
}

const committers = new WeakMap<AppContext, GroupCommitter>();
function groupCommitter(ctx: AppContext): GroupCommitter {
  let c = committers.get(ctx);
  if (!c) {
    c = new GroupCommitter(ctx);
    committers.set(ctx, c);
  }
  return c;
}

/** Stores a batch with one commit; true for each event that was new (the first of its id). */
async function storeBatch(ctx: AppContext, batch: PendingStore[]): Promise<boolean[]> {
  if (ctx.db.dialect !== 'postgres') {
    return inTransaction(ctx, async (tx) => {
      const out: boolean[] = [];
      for (const p of batch) out.push(await storeStripeEvent(ctx, tx, p.event, p.payload));
      return out;
    });
  }
  // PostgreSQL: every inbox row and its job in ONE statement (a data-modifying CTE is atomic): one
  // round trip and one commit for the whole batch. Job rows match what `enqueue` writes without a key.
  const first = new Map<string, number>();
  batch.forEach((p, i) => {
    if (!first.has(p.event.id)) first.set(p.event.id, i);
  });
  const now = ctx.clock.now();
  const rows = [...first.keys()].map((id) => {
    const p = batch[first.get(id) ?? 0]!;
    return sql`(${id}::text, ${p.event.type}::text, ${p.payload}::text, ${newId('job', now)}::text, ${JSON.stringify({ eventId: id })}::text)`;
  });
  const r = await sql<{ id: string }>`
    WITH v (id, type, payload, job_id, job_payload) AS (VALUES ${sql.join(rows)}),
    ins AS (
      INSERT INTO inbox_events (source, id, type, payload, received_at)
      SELECT 'stripe', id, type, payload, ${now}::bigint FROM v
      ON CONFLICT (source, id) DO NOTHING RETURNING id
    ),
    queued AS (
      INSERT INTO jobs (id, kind, payload, status, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
      SELECT v.job_id, ${stripeProcessEventJob.kind}::text, v.job_payload, 'queued', NULL, 0,
        ${DEFAULT_MAX_ATTEMPTS}::int, ${now}::bigint, ${now}::bigint, ${now}::bigint
      FROM ins JOIN v ON v.id = ins.id
      RETURNING id
    )
    SELECT id FROM ins`.execute(ctx.db.kysely);
  const inserted = new Set(r.rows.map((row) => row.id));
  if (inserted.size > 0) ctx.nudge();
  return batch.map((p, i) => first.get(p.event.id) === i && inserted.has(p.event.id));
}

/** Marks an inbox event processed (or records why it failed, for the operator). */
export async function markEvent(db: Executor, id: string, now: number, error: string | null) {
  await db
    .updateTable('inbox_events')
    .set(error === null ? { processed_at: now, error: null } : { error: storableText(error, 2000) })
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
