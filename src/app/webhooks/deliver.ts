import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { storableText } from '../../core/storable-text.js';
import type { AppContext } from '../shared/context.js';
import { webhookDeliverJob, type WebhookAttemptPayload } from './jobs.js';
import { handle } from '../../core/jobs.js';
import { recordAttempt } from './record-attempt.js';
import { deliveryById, endpointById, updateDeliveryIf } from './store.js';
import { defaultDeliveryPolicy, type AttemptOutcome, type DeliveryPolicy } from './policy.js';
/** Re-exported for callers that pick a policy next to `deliverWebhookAttempt`. */
export { defaultDeliveryPolicy, type DeliveryPolicy } from './policy.js';
import { assertSafeWebhookUrl, guardedLookup, UnsafeUrlError } from './ssrf.js';

/**
 * The `webhook.deliver` job: one HTTP attempt at one delivery, signed per Standard Webhooks.
 * Every attempt is recorded; a failure queues the next attempt as a new job on the retry schedule,
 * so the schedule is data here and not the queue's generic backoff (see
 * docs/decisions/0003-merchant-webhooks.md).
 */

const DAY = 24 * 60 * 60 * 1000;

/** A Retry-After longer than this is treated as this: a receiver cannot park a delivery forever. */
const MAX_RETRY_AFTER_MS = DAY;
/** Bytes of a response body kept in the attempt log (cleaned: see core/storable-text.ts). */
export const RESPONSE_KEEP_BYTES = 4096;

/** Parses Retry-After (seconds or an HTTP date) into ms from now; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * POSTs `body` once. Never follows redirects (node:http does not), refuses private addresses at
 * connect time unless allowed, gives up after `timeoutMs`, and keeps at most 4 KiB of the response,
 * as text any database column can hold.
 */
export function postWebhook(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(
      url,
      {
        method: 'POST',
        // A fresh connection per attempt, so every attempt goes through the guarded DNS lookup.
        agent: false,
        lookup: guardedLookup({ allowPrivate: options.allowPrivate }),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Rolegate-Webhooks/1',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => {
          const statusCode = res.statusCode ?? 0;
          const retryAfter = res.headers['retry-after'];
          settle({
            kind: 'response',
            statusCode,
            body: storableText(Buffer.concat(chunks), RESPONSE_KEEP_BYTES),
            durationMs: elapsed(),
            retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter),
          });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          kept += chunk.length;
          // The rest of a large body is of no use to the log; stop reading it.
          if (kept >= RESPONSE_KEEP_BYTES) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
      },
    );
    // One deadline for the whole attempt, whether the receiver stalls before or during its answer.
    const timer = setTimeout(() => {
      settle({ kind: 'error', error: `no response within ${options.timeoutMs} ms`, durationMs: elapsed() });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      settle({ kind: 'error', error: describeNetworkError(err), durationMs: elapsed() }),
    );
    req.end(body);
  });
}

function describeNetworkError(err: NodeJS.ErrnoException): string {
  if (err instanceof UnsafeUrlError) return err.message;
  return err.code ? `${err.code}: ${err.message}` : err.message;
}

/** The wait before the retry at `nextStep`, or null when the series is over. */
export function retryDelay(
  policy: DeliveryPolicy,
  nextStep: number,
  retryAfterMs: number | null,
): number | null {
  const base = policy.retryDelaysMs[nextStep - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 - policy.jitter + 2 * policy.jitter * policy.random()));
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Runs one attempt of the `webhook.deliver` job. HTTP failures never throw; only infrastructure does. */
export async function deliverWebhookAttempt(
  ctx: AppContext,
  payload: WebhookAttemptPayload,
  policy: DeliveryPolicy = defaultDeliveryPolicy,
): Promise<void> {
  const db = ctx.db.kysely;
  const delivery = await deliveryById(db, payload.deliveryId);
  // Deleted with its endpoint, already finished, or this attempt was already recorded (a re-run
  // after a crash between commit and job completion): nothing to do.
  if (!delivery || delivery.status !== 'pending' || delivery.attempts + 1 !== payload.attempt) return;
  const endpoint = await endpointById(db, delivery.endpoint_id);
  const claim = { id: delivery.id, before: payload.attempt - 1 };

  if (!endpoint || endpoint.enabled !== 1) {
    const reason = endpoint?.disabled_reason ?? 'the endpoint was disabled';
    await updateDeliveryIf(
      db,
      claim.id,
      { status: 'pending', attempts: claim.before },
      {
        status: 'failed',
        next_attempt_at: null,
        last_error: `not sent: ${reason}`,
        updated_at: ctx.clock.now(),
      },
    );
    return;
  }

  const startedAt = ctx.clock.now();
  const allowPrivate = ctx.config.WEBHOOKS_ALLOW_PRIVATE;
  let outcome: AttemptOutcome;
  try {
    // Checked again at send time: the URL was safe when saved, but DNS may have changed since.
    const url = await assertSafeWebhookUrl(endpoint.url, { allowPrivate });
    const secret = ctx.secrets.decrypt(endpoint.secret_enc);
    const headers = {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(startedAt / 1000)),
      'webhook-signature': new Webhook(secret).sign(delivery.id, new Date(startedAt), delivery.payload),
    };
    outcome = await postWebhook(url, delivery.payload, headers, {
      timeoutMs: policy.timeoutMs,
      allowPrivate,
    });
  } catch (err) {
    if (!(err instanceof UnsafeUrlError)) throw err;
    outcome = { kind: 'error', error: `refused: ${err.message}`, durationMs: 0 };
  }

  const disableReason = await recordAttempt(ctx, {
    delivery,
    endpoint,
    payload,
    outcome,
    startedAt,
    policy,
    retryDelay: (nextStep, retryAfterMs) => retryDelay(policy, nextStep, retryAfterMs),
  });
  if (disableReason)
    ctx.log.warn({ endpoint: endpoint.id, reason: disableReason }, 'webhook endpoint disabled');
}

/** The `webhook.deliver` job and its handler, with a policy (tests pass a short schedule). */
export function webhookDeliveryHandler(ctx: AppContext, policy: DeliveryPolicy = defaultDeliveryPolicy) {
  return handle(webhookDeliverJob, (payload) => deliverWebhookAttempt(ctx, payload, policy));
}
