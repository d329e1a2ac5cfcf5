import { FailureError } from '../../core/failure.js';
import type { AppContext, Tx } from '../shared/context.js';
import type { DiscordMessageBody } from '../../core/ports/discord.js';
import { directMessageJob, type DirectMessagePayload } from './jobs.js';

/**
 * Direct messages to buyers. A DM is always a copy of something the buyer can get elsewhere (the
 * ephemeral reply, the email), so it runs as a job after the answer, and a closed DM is an outcome,
 * not a failure: the job ends quietly.
 */

export async function enqueueDirectMessage(tx: Tx, payload: DirectMessagePayload, dedupeKey?: string) {
  await tx.enqueue(directMessageJob, payload, {
    maxAttempts: 5,
    ...(dedupeKey === undefined ? {} : { dedupeKey }),
  });
}

export type DirectMessageOutcome = 'sent' | 'dm_closed' | 'not_configured' | 'refused';

/**
 * Sends one DM now. Transient failures throw (the job retries with backoff); a closed DM or any
 * other refusal is returned, because repeating a refused DM only spends the invalid-request budget.
 */
export async function sendDirectMessage(
  ctx: AppContext,
  userId: string,
  body: DiscordMessageBody,
): Promise<DirectMessageOutcome> {
  const discord = ctx.ports.discord;
  if (!discord) return 'not_configured';
  try {
    const channel = await discord.createDM(userId);
    await discord.createMessage(channel.id, body);
    return 'sent';
  } catch (err) {
    if (!(err instanceof FailureError) || err.failure.owner === 'retry') throw err;
    if (err.failure.code === 'dm_closed') return 'dm_closed';
    ctx.log.warn({ userId, failure: err.failure }, 'Discord refused a direct message');
    return 'refused';
  }
}

export async function runDirectMessageJob(ctx: AppContext, p: DirectMessagePayload): Promise<void> {
  const outcome = await sendDirectMessage(ctx, p.userId, p.body);
  ctx.log.info({ userId: p.userId, cause: p.cause, outcome }, 'direct message');
}
