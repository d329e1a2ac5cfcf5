import type { AppContext, Tx } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
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
  const due = await ctx.db.kysely
    .selectFrom('grants')
    .select(['id', 'ends_at', 'reminded_for_ends_at'])
    .where('active', '=', 1)
    .where('status', '!=', 'revoked')
    .where('ends_at', 'is not', null)
    .where('ends_at', '>', now)
    .where('ends_at', '<=', now + ACCESS_ENDING_NOTICE_MS)
    .limit(limit)
    .execute();
  const todo = due.filter((g) => g.ends_at !== null && g.reminded_for_ends_at !== g.ends_at);
  if (todo.length === 0) return 0;
  await inTransaction(ctx, async (tx) => {
    for (const g of todo)
      if (g.ends_at !== null)
        await tx.enqueue(
          accessEndingJob,
          { grantId: g.id, endsAt: g.ends_at },
          { dedupeKey: `access_ending:${g.id}:${g.ends_at}` },
        );
  });
  return todo.length;
}

async function mailContext(ctx: AppContext, grantId: string) {
  return ctx.db.kysely
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .innerJoin('entitlements', 'entitlements.id', 'grants.entitlement_id')
    .innerJoin('servers', 'servers.id', 'grants.server_id')
    .select([
      'grants.id',
      'grants.active',
      'grants.status',
      'grants.ends_at',
      'grants.grace_ends_at',
      'grants.reminded_for_ends_at',
      'grants.payment_failed_reminded_for',
      'customers.email',
      'entitlements.name as entitlementName',
      'servers.name as serverName',
    ])
    .where('grants.id', '=', grantId)
    .executeTakeFirst();
}

const day = (ms: number) => new Date(ms).toUTCString().slice(0, 16);

/** `reminder.access_ending`: sends the email unless the grant was renewed, extended or ended meanwhile. */
export async function sendAccessEndingReminder(
  ctx: AppContext,
  { grantId, endsAt }: PayloadOf<typeof accessEndingJob>,
): Promise<'sent' | 'skipped'> {
  const g = await mailContext(ctx, grantId);
  if (!g?.email || g.active !== 1 || g.status === 'revoked' || g.ends_at !== endsAt) return 'skipped';
  const previous = g.reminded_for_ends_at;
  const claimed = await ctx.db.kysely
    .updateTable('grants')
    .set({ reminded_for_ends_at: endsAt })
    .where('id', '=', grantId)
    .where((eb) => eb.or([eb('reminded_for_ends_at', 'is', null), eb('reminded_for_ends_at', '!=', endsAt)]))
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return 'skipped';
  try {
    await ctx.ports.mail.send({
      to: g.email,
      subject: `Your access to ${g.entitlementName} ends in 3 days`,
      text:
        `Your access to ${g.entitlementName} on ${g.serverName} ends on ${day(endsAt)} (UTC).\n\n` +
        `To keep your roles, buy it again before then. If you already did, ignore this email.`,
    });
  } catch (err) {
    // Give the claim back so the retry sends it.
    await ctx.db.kysely
      .updateTable('grants')
      .set({ reminded_for_ends_at: previous })
      .where('id', '=', grantId)
      .execute();
    throw err;
  }
  return 'sent';
}

/** `reminder.payment_failed`: one email per grace period of a grant whose payment failed. */
export async function sendPaymentFailedReminder(
  ctx: AppContext,
  { grantId }: { grantId: string },
): Promise<'sent' | 'skipped'> {
  const g = await mailContext(ctx, grantId);
  if (!g?.email || g.status === 'revoked') return 'skipped';
  const episode = g.grace_ends_at ?? 0;
  const previous = g.payment_failed_reminded_for;
  const claimed = await ctx.db.kysely
    .updateTable('grants')
    .set({ payment_failed_reminded_for: episode })
    .where('id', '=', grantId)
    .where((eb) =>
      eb.or([
        eb('payment_failed_reminded_for', 'is', null),
        eb('payment_failed_reminded_for', '!=', episode),
      ]),
    )
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return 'skipped';
  const until = g.grace_ends_at
    ? ` Your access stays until ${day(g.grace_ends_at)} (UTC) while you fix it.`
    : '';
  try {
    await ctx.ports.mail.send({
      to: g.email,
      subject: `Payment failed for ${g.entitlementName}`,
      text:
        `We could not take the payment for ${g.entitlementName} on ${g.serverName}.${until}\n\n` +
        `Update your payment method in the billing portal (the link is in your receipt) to keep your roles.`,
    });
  } catch (err) {
    await ctx.db.kysely
      .updateTable('grants')
      .set({ payment_failed_reminded_for: previous })
      .where('id', '=', grantId)
      .execute();
    throw err;
  }
  return 'sent';
}
