import { AppError } from '../../core/errors.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import type { StripeEventEnvelope, StripePort } from '../../core/ports/stripe.js';
import { reloadWebhookSecrets, storedWebhookSecrets } from '../setup/settings.js';
import { receive, receiveBatch, type InboxEntry } from '../inbox/inbox.js';
import { stripeProcessEventJob } from './jobs.js';

const inboxEntry = (event: StripeEventEnvelope, payload: string): InboxEntry => ({
  source: 'stripe',
  id: event.id,
  type: event.type,
  payload,
});

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
  return receive(ctx, tx, inboxEntry(event, payload), stripeProcessEventJob, { eventId: event.id });
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
  // PostgreSQL: every inbox row and its job in ONE statement: one round trip and one commit.
  const first = new Map<string, number>();
  batch.forEach((p, i) => {
    if (!first.has(p.event.id)) first.set(p.event.id, i);
  });
  const entries = [...first.values()].map((i) => inboxEntry(batch[i]!.event, batch[i]!.payload));
  const inserted = await receiveBatch(ctx, entries, stripeProcessEventJob);
  return batch.map((p, i) => first.get(p.event.id) === i && inserted.has(p.event.id));
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
