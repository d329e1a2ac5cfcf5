import type { WebhookDeliveriesTable, WebhookEndpointsTable } from '../../adapters/store/schema.js';
import { storableText } from '../../core/storable-text.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { enqueueWebhookAttempt } from './events.js';
import type { WebhookAttemptPayload } from './jobs.js';
import { insertAttempt, noteEndpointVerdict, updateDeliveryIf, updateEndpointRow } from './store.js';
import type { AttemptOutcome, DeliveryPolicy } from './policy.js';

/**
 * Writes the result of one delivery attempt and queues the next one on the retry schedule, in one
 * transaction (see docs/decisions/0003-merchant-webhooks.md and 0009). If that transaction fails
 * for any reason but a lost race, the attempt is recorded again without its details (no response
 * body, the reason in `last_error`): a receiver must never be able to stop its own schedule by what
 * it answers, and a delivery must never stay `pending` with no attempt queued.
 */

const DAY = 24 * 60 * 60 * 1000;
const ERROR_KEEP_BYTES = 500;

type Verdict = 'succeeded' | 'gone' | 'retry';

export function verdictOf(outcome: AttemptOutcome): Verdict {
  if (outcome.kind === 'error') return 'retry';
  if (outcome.statusCode >= 200 && outcome.statusCode < 300) return 'succeeded';
  if (outcome.statusCode === 410) return 'gone';
  // 3xx (redirects are not followed), 4xx, 429 and 5xx: the receiver may be fixed; retry.
  return 'retry';
}

function errorText(outcome: AttemptOutcome): string | null {
  if (outcome.kind === 'error') return storableText(outcome.error, ERROR_KEEP_BYTES);
  if (outcome.statusCode >= 300 && outcome.statusCode < 400)
    return `HTTP ${outcome.statusCode}: redirects are not followed; point the endpoint at the final URL`;
  if (outcome.statusCode < 200 || outcome.statusCode >= 300) return `HTTP ${outcome.statusCode}`;
  return null;
}

export interface AttemptToRecord {
  delivery: Pick<WebhookDeliveriesTable, 'id'>;
  endpoint: Pick<WebhookEndpointsTable, 'id'>;
  payload: WebhookAttemptPayload;
  outcome: AttemptOutcome;
  startedAt: number;
  policy: DeliveryPolicy;
  /** The wait before the retry at `nextStep`, or null when the series is over. */
  retryDelay(nextStep: number, retryAfterMs: number | null): number | null;
}

class StaleAttempt extends Error {}

/** Why the endpoint must be disabled after this attempt, or null. */
function disableReasonOf(
  current: { enabled: number; failing_since: number | null },
  verdict: Verdict,
  now: number,
  policy: DeliveryPolicy,
): string | null {
  if (current.enabled !== 1) return null;
  if (verdict === 'gone') return 'the endpoint answered 410 Gone';
  const since = current.failing_since;
  if (since === null || now - since < policy.disableAfterMs) return null;
  return (
    `every delivery has failed since ${new Date(since).toISOString()} ` +
    `(${Math.floor((now - since) / DAY)} days); fix the receiver, then enable the endpoint again`
  );
}

/** One try at recording; `detailsLost` says why the response body and error were left out, if they were. */
async function writeAttempt(ctx: AppContext, a: AttemptToRecord, detailsLost: string | null) {
  const { outcome, payload, delivery, endpoint } = a;
  const verdict = verdictOf(outcome);
  return inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const current = await noteEndpointVerdict(tx.db, endpoint.id, verdict === 'succeeded', a.startedAt);
    const disableReason = disableReasonOf(current, verdict, now, a.policy);
    const retryAfterMs = outcome.kind === 'response' ? outcome.retryAfterMs : null;
    const delay = verdict === 'retry' ? a.retryDelay(payload.step + 1, retryAfterMs) : null;
    const retryAt = delay !== null && disableReason === null && current.enabled === 1 ? now + delay : null;
    const status = verdict === 'succeeded' ? 'succeeded' : retryAt === null ? 'failed' : 'pending';
    const error = errorText(outcome);
    const lastError =
      detailsLost === null
        ? error
        : storableText(
            `${error ?? 'ok'}; the attempt's details could not be stored: ${detailsLost}`,
            ERROR_KEEP_BYTES,
          );

    const recorded = await updateDeliveryIf(
      tx.db,
      delivery.id,
      { status: 'pending', attempts: payload.attempt - 1 },
      {
        status,
        attempts: payload.attempt,
        next_attempt_at: retryAt,
        last_status_code: outcome.kind === 'response' ? outcome.statusCode : null,
        last_error: lastError,
        updated_at: now,
      },
    );
    // Another run recorded this attempt first: roll back the endpoint change too.
    if (!recorded) throw new StaleAttempt();
    await insertAttempt(tx.db, {
      delivery_id: delivery.id,
      attempt: payload.attempt,
      status_code: outcome.kind === 'response' ? outcome.statusCode : null,
      duration_ms: outcome.durationMs,
      response_body: outcome.kind === 'response' && detailsLost === null ? outcome.body : null,
      error: detailsLost === null ? error : lastError,
      created_at: a.startedAt,
    });
    if (disableReason !== null)
      await updateEndpointRow(tx.db, endpoint.id, {
        enabled: 0,
        disabled_reason: disableReason,
        updated_at: now,
      });
    if (retryAt !== null)
      await enqueueWebhookAttempt(
        tx,
        { deliveryId: delivery.id, attempt: payload.attempt + 1, step: payload.step + 1 },
        retryAt,
      );
    return { disableReason };
  });
}

/**
 * Records the attempt (details first, then without them); returns why the endpoint was disabled,
 * if it was, or null. Throws only when even the bare record fails (the database is gone): the
 * queue then retries the job, which sends again — at least once, as webhooks promise.
 */
export async function recordAttempt(ctx: AppContext, attempt: AttemptToRecord): Promise<string | null> {
  try {
    return (await writeAttempt(ctx, attempt, null)).disableReason;
  } catch (err) {
    if (err instanceof StaleAttempt) return null;
    const reason = err instanceof Error ? err.message : String(err);
    ctx.log.warn(
      { err, delivery: attempt.delivery.id, attempt: attempt.payload.attempt },
      'webhook attempt details could not be stored; recording the attempt without them',
    );
    try {
      return (await writeAttempt(ctx, attempt, reason)).disableReason;
    } catch (second) {
      if (second instanceof StaleAttempt) return null;
      throw second;
    }
  }
}
