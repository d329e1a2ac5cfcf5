import type { z } from 'zod';
import { DEFAULT_MAX_ATTEMPTS } from '../../adapters/store/queue.js';
import type { JobType, PayloadIn } from '../../core/jobs.js';
import type { AppContext, Tx } from '../shared/context.js';
import {
  inboxEntry,
  insertInboxEntriesWithJobs,
  insertInboxEntry,
  markInboxEntry,
  type InboxEntry,
  type InboxResult,
  type InboxSource,
} from './store.js';

export type { InboxEntry, InboxResult, InboxSource };

/**
 * One inbox for every external input (docs/decisions/0024-typed-jobs-and-inbox.md): a Stripe event
 * or a Discord interaction is stored (`inbox_events`, one row per source and id) before anything
 * else happens, handled, and marked handled with its outcome. The row's primary key makes a
 * duplicate delivery visible at the door: it is acknowledged and not handled again.
 *
 * - Inputs handled later (Stripe events): `receive` stores the row and queues the job that handles
 *   it in the same transaction; the job reads `storedInput` and ends with `markHandled`.
 * - Inputs answered at once (Discord interactions, 3 s): `handleOnce` stores, handles and marks in
 *   the request, and gives a duplicate the answer the first delivery got.
 */

/** Stores an input and queues its job in `tx`. False for a duplicate: nothing is queued. */
export async function receive<J extends JobType>(
  ctx: AppContext,
  tx: Tx,
  entry: InboxEntry,
  job: J,
  payload: PayloadIn<J>,
): Promise<boolean> {
  if (!(await insertInboxEntry(tx.db, entry, ctx.clock.now()))) return false;
  await tx.enqueue(job, payload);
  return true;
}

/**
 * `receive` for a batch, on PostgreSQL in one statement (rows and jobs; the job payload is
 * `{ eventId }`). Returns the ids that were new; wakes the worker when there are any.
 */
export async function receiveBatch(
  ctx: AppContext,
  entries: InboxEntry[],
  job: JobType<string, z.ZodType<{ eventId: string }>>,
): Promise<Set<string>> {
  const fresh = await insertInboxEntriesWithJobs(
    ctx.db.kysely,
    entries,
    { kind: job.kind, maxAttempts: DEFAULT_MAX_ATTEMPTS },
    ctx.clock.now(),
  );
  if (fresh.size > 0) ctx.nudge();
  return fresh;
}

/** The stored input, for the job that handles it. */
export function storedInput(ctx: AppContext, source: InboxSource, id: string) {
  return inboxEntry(ctx.db.kysely, source, id);
}

/** Records how handling ended (`handled: false` keeps it unhandled: a failure whose retry is queued). */
export async function markHandled(
  ctx: AppContext,
  source: InboxSource,
  id: string,
  result: InboxResult,
): Promise<void> {
  await markInboxEntry(ctx.db.kysely, source, id, result, ctx.clock.now());
}

export type Handled =
  | { duplicate: false; response: string }
  /** `response` is null while the first delivery is still being handled. */
  | { duplicate: true; response: string | null; outcome: string | null };

/**
 * Store → handle → mark handled, once per input, for inputs that are answered at once. A duplicate
 * delivery is not handled again: it gets the stored answer. `handler` never throws; it turns its own
 * failure into an answer with outcome `failed` and the error, which stays visible on the row.
 */
export async function handleOnce(
  ctx: AppContext,
  entry: InboxEntry,
  handler: () => Promise<InboxResult & { response: string }>,
): Promise<Handled> {
  if (!(await insertInboxEntry(ctx.db.kysely, entry, ctx.clock.now()))) {
    const first = await inboxEntry(ctx.db.kysely, entry.source, entry.id);
    return { duplicate: true, response: first?.response ?? null, outcome: first?.outcome ?? null };
  }
  const result = await handler();
  await markHandled(ctx, entry.source, entry.id, result);
  return { duplicate: false, response: result.response };
}
