import type { AppContext, Tx } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import {
  claimReminder,
  grantMailContext,
  grantsEndingWithin,
  releaseReminder,
  type ReminderMark,
} from './store/grants.js';
import type { PayloadOf } from '../../core/jobs.js';
import { accessEndingJob, paymentFailedJob } from './jobs.js';

/**
 * Reminder emails: "access ending in 3 days" (N-day passes and anything else with an end) and
 * "payment failed" (a subscription went past due). Each is a job written in the same transaction
 * as what caused it, and each is sent once per period end / dunning episode: the job claims the
 * reminder with a conditional UPDATE before sending, and gives the claim back if sending fails.
 */

/** How often the `reminders.sweep` task (./jobs.ts) runs. */
export const REMINDERS_SWEEP_EVERY_MS = 60 * 60_000;
/** How long before the end the "access ending" email goes out. */
export const ACCESS_ENDING_NOTICE_MS = 3 * 86_400_000;

/** Queues the payment-failed email for a grant in `tx` (call it where the grant enters its grace period). */
export async function enqueuePaymentFailedReminder(
  tx: Tx,
  grant: { id: string; grace_ends_at: number | null },
) {
  await tx.enqueue(
    paymentFailedJob,
    { grantId: grant.id },
    { dedupeKey: `payment_failed:${grant.id}:${grant.grace_ends_at ?? 0}` },
  );
}

/** The hourly sweep: queues one "access ending" email per live grant whose end is within 3 days. */
export async function sweepReminders(ctx: AppContext, limit = 1000): Promise<number> {
  const now = ctx.clock.now();
  const due = await grantsEndingWithin(ctx.db.kysely, now, now + ACCESS_ENDING_NOTICE_MS, limit);
  const todo = due.filter((g) => g.remindedForEndsAt !== g.endsAt);
  if (todo.length === 0) return 0;
  await inTransaction(ctx, async (tx) => {
    for (const g of todo)
      await tx.enqueue(
        accessEndingJob,
        { grantId: g.id, endsAt: g.endsAt },
        { dedupeKey: `access_ending:${g.id}:${g.endsAt}` },
      );
  });
  return todo.length;
}

const day = (ms: number) => new Date(ms).toUTCString().slice(0, 16);

/**
 * Sends a reminder once: claims it for `value` first (two jobs racing send one email), and gives the
 * claim back to `previous` when the email could not be sent, so the retry sends it.
 */
async function sendOnce(
  ctx: AppContext,
  to: { grantId: string; email: string },
  mark: { column: ReminderMark; value: number; previous: number | null },
  mail: { subject: string; text: string },
): Promise<'sent' | 'skipped'> {
  const db = ctx.db.kysely;
  if (!(await claimReminder(db, to.grantId, mark.column, mark.value))) return 'skipped';
  try {
    await ctx.ports.mail.send({ to: to.email, ...mail });
  } catch (err) {
    await releaseReminder(db, to.grantId, mark.column, mark.previous);
    throw err;
  }
  return 'sent';
}

/** `reminder.access_ending`: sends the email unless the grant was renewed, extended or ended meanwhile. */
export async function sendAccessEndingReminder(
  ctx: AppContext,
  { grantId, endsAt }: PayloadOf<typeof accessEndingJob>,
): Promise<'sent' | 'skipped'> {
  const g = await grantMailContext(ctx.db.kysely, grantId);
  if (!g?.email || !g.active || g.status === 'revoked' || g.endsAt !== endsAt) return 'skipped';
  return sendOnce(
    ctx,
    { grantId, email: g.email },
    { column: 'reminded_for_ends_at', value: endsAt, previous: g.remindedForEndsAt },
    {
      subject: `Your access to ${g.entitlementName} ends in 3 days`,
      text:
        `Your access to ${g.entitlementName} on ${g.serverName} ends on ${day(endsAt)} (UTC).\n\n` +
        `To keep your roles, buy it again before then. If you already did, ignore this email.`,
    },
  );
}

/** `reminder.payment_failed`: one email per grace period of a grant whose payment failed. */
export async function sendPaymentFailedReminder(
  ctx: AppContext,
  { grantId }: { grantId: string },
): Promise<'sent' | 'skipped'> {
  const g = await grantMailContext(ctx.db.kysely, grantId);
  if (!g?.email || g.status === 'revoked') return 'skipped';
  const until = g.graceEndsAt ? ` Your access stays until ${day(g.graceEndsAt)} (UTC) while you fix it.` : '';
  return sendOnce(
    ctx,
    { grantId, email: g.email },
    {
      column: 'payment_failed_reminded_for',
      value: g.graceEndsAt ?? 0,
      previous: g.paymentFailedRemindedFor,
    },
    {
      subject: `Payment failed for ${g.entitlementName}`,
      text:
        `We could not take the payment for ${g.entitlementName} on ${g.serverName}.${until}\n\n` +
        `Update your payment method in the billing portal (the link is in your receipt) to keep your roles.`,
    },
  );
}
