import type { AppContext } from '../shared/context.js';
import { syncLogOfGrant } from '../grants/store.js';
import { grantPayments, roleNames } from './store/subscribers.js';
import { loadSubscriber, subscriberView } from './subscribers.js';

/** A subscriber's page: the list view plus the timeline from the sync log and links into Stripe. */

export const TIMELINE_SHOWN = 200;

export interface TimelineEntry {
  at: string;
  kind: string;
  outcome: 'ok' | 'failed' | 'skipped' | 'info';
  text: string;
  error: { code: string; owner: string | null } | null;
  cause: string | null;
}

const actionWords: Record<string, (role: string) => string> = {
  add_role: (role) => `Gave the role ${role}`,
  remove_role: (role) => `Took the role ${role} away`,
  join: () => 'Added the buyer to the server',
  kick: () => 'Removed the buyer from the server',
  check: () => 'Checked the buyer’s roles',
  billing: () => 'Changed the Stripe billing',
};

/** Links into the Stripe Dashboard (test mode when the key is a test key). */
export function stripeLinks(
  ctx: AppContext,
  ids: { customer: string | null; subscription: string | null; payments: string[] },
) {
  const live = /^(sk|rk)_live_/.test(ctx.config.STRIPE_SECRET_KEY ?? '');
  const base = `https://dashboard.stripe.com/${live ? '' : 'test/'}`;
  return {
    customer: ids.customer ? `${base}customers/${ids.customer}` : null,
    subscription: ids.subscription ? `${base}subscriptions/${ids.subscription}` : null,
    payments: ids.payments.map((id) => ({ id, url: `${base}payments/${id}` })),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

export async function subscriberDetail(ctx: AppContext, grantId: string) {
  const row = await loadSubscriber(ctx, grantId);
  const db = ctx.db.kysely;
  const [log, payments, roles] = await Promise.all([
    syncLogOfGrant(db, grantId, TIMELINE_SHOWN),
    grantPayments(db, grantId),
    roleNames(db, row.server_id),
  ]);
  const entries: (TimelineEntry & { ms: number; seq: number })[] = log.map((l) => {
    const role = l.role_id ? `"${roles.get(l.role_id) ?? l.role_id}"` : '';
    const words = actionWords[l.action]?.(role) ?? l.action;
    return {
      ms: l.created_at,
      seq: l.id,
      at: iso(l.created_at),
      kind: l.action,
      outcome: l.outcome === 'ok' || l.outcome === 'failed' ? l.outcome : 'skipped',
      text: l.message ? `${words}: ${l.message}` : words,
      error: l.error_code ? { code: l.error_code, owner: l.error_owner } : null,
      cause: l.cause,
    };
  });
  const milestone = (ms: number | null, kind: string, text: string) => {
    if (ms !== null)
      entries.push({ ms, seq: -1, at: iso(ms), kind, outcome: 'info', text, error: null, cause: null });
  };
  milestone(row.created_at, 'created', `Started (${row.source})`);
  milestone(row.delivered_at, 'delivered', 'Access delivered in Discord');
  milestone(row.revoked_at, 'revoked', `Revoked${row.status_reason ? `: ${row.status_reason}` : ''}`);
  entries.sort((a, b) => b.ms - a.ms || b.seq - a.seq);
  return {
    ...subscriberView(row),
    status_reason: row.status_reason,
    last_error:
      row.last_error_code === null
        ? null
        : { code: row.last_error_code, message: row.last_error_message, owner: row.last_error_owner },
    stripe_links: stripeLinks(ctx, {
      customer: row.stripe_customer_id,
      subscription: row.stripe_subscription_id,
      payments: payments.map((p) => p.payment_intent_id),
    }),
    timeline: entries.map(({ ms: _ms, seq: _seq, ...e }) => e),
  };
}
