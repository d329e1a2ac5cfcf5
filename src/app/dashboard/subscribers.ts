import type { AppContext } from '../shared/context.js';
import { notFound } from '../../core/errors.js';
import {
  findSubscribers,
  type SubscriberFilter,
  type SubscriberRow,
  type SubscriberStatus,
} from './store/subscribers.js';

/**
 * Subscribers: every grant across entitlements and servers, with its state said in the words a
 * merchant reads at once, and who must act when something is stuck.
 */

/** Who must act for a subscriber to get (or keep) access; null when nobody needs to. */
export type WhoActs = 'merchant' | 'buyer' | 'retrying' | 'support' | null;

export interface StatusInWords {
  code: SubscriberStatus;
  label: string;
  detail: string | null;
  who_acts: WhoActs;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const failureOwners: Record<string, { who: WhoActs; label: string }> = {
  merchant: { who: 'merchant', label: 'Failed — you must fix something' },
  customer: { who: 'buyer', label: 'Failed — the buyer must act' },
  retry: { who: 'retrying', label: 'Failed — retrying by itself' },
  bug: { who: 'support', label: 'Failed — an unexpected error' },
};

function failedStatus(r: SubscriberRow): StatusInWords {
  if (r.active === 0)
    return {
      code: 'failed',
      label: 'Failed — the buyer must act',
      detail: r.status_reason ?? 'The payment failed.',
      who_acts: 'buyer',
    };
  const owner = failureOwners[r.last_error_owner ?? 'retry'] ?? failureOwners.retry!;
  return { code: 'failed', label: owner.label, detail: r.last_error_message, who_acts: owner.who };
}

function waitingStatus(r: SubscriberRow): StatusInWords {
  if (r.discord_user_id !== null)
    return {
      code: 'delivering',
      label: 'Being delivered',
      detail: 'The Discord account is linked; the roles are on their way.',
      who_acts: null,
    };
  if (Number(r.invited) !== 0)
    return {
      code: 'invitation_sent',
      label: 'Invitation sent — not yet linked',
      detail: 'The buyer has not connected a Discord account yet.',
      who_acts: 'buyer',
    };
  return {
    code: 'not_invited',
    label: 'Not invited',
    detail: r.email
      ? 'Send the invitation so the buyer can connect Discord.'
      : 'No email and no Discord account.',
    who_acts: 'merchant',
  };
}

const endedCheckoutWords: Record<string, string> = {
  checkout_replaced: 'The buyer started a new checkout instead; this one was never paid.',
  checkout_expired: 'The checkout expired unpaid.',
};

/** A checkout that ended before any payment (replaced, expired, canceled): never a subscriber. */
function endedCheckout(r: SubscriberRow): StatusInWords {
  return {
    code: 'checkout_open',
    label: 'Checkout not finished',
    detail: endedCheckoutWords[r.status_reason ?? ''] ?? 'Ended before any payment; nothing was granted.',
    who_acts: null,
  };
}

/** The JS twin of `statusCondition` (store/subscribers.ts): keep the two in the same order. */
export function subscriberStatus(r: SubscriberRow): StatusInWords {
  switch (r.status) {
    case 'revoked':
      if (r.announced_at === null) return endedCheckout(r);
      return {
        code: 'revoked',
        label: 'Revoked',
        detail: r.status_reason ?? 'Access ended.',
        who_acts: null,
      };
    case 'suspended':
      return { code: 'suspended', label: 'Suspended', detail: r.status_reason, who_acts: null };
    case 'failed':
      return failedStatus(r);
  }
  if (r.active === 0)
    return {
      code: 'checkout_open',
      label: 'Checkout not finished',
      detail: 'No payment yet; nothing is granted.',
      who_acts: null,
    };
  if (r.grace_ends_at !== null)
    return {
      code: 'past_due',
      label: 'Past due',
      detail: `The last payment failed; access continues until ${day(r.grace_ends_at)} while Stripe retries.`,
      who_acts: 'buyer',
    };
  if (r.status === 'delivered')
    return { code: 'subscribed', label: 'Subscribed', detail: null, who_acts: null };
  return waitingStatus(r);
}

export function subscriberView(r: SubscriberRow) {
  return {
    id: r.id,
    object: 'subscriber' as const,
    status: subscriberStatus(r),
    grant_status: r.status,
    active: r.active === 1,
    customer: {
      id: r.customer_id,
      email: r.email,
      name: r.customer_name,
      discord_user_id: r.discord_user_id,
      discord_username: r.discord_username,
    },
    entitlement: { id: r.entitlement_id, name: r.entitlement_name },
    server: { id: r.server_id, name: r.server_name },
    source: r.source,
    stripe_customer_id: r.stripe_customer_id,
    stripe_subscription_id: r.stripe_subscription_id,
    starts_at: iso(r.starts_at),
    ends_at: iso(r.ends_at),
    grace_ends_at: iso(r.grace_ends_at),
    created_at: iso(r.created_at),
    delivered_at: iso(r.delivered_at),
    revoked_at: iso(r.revoked_at),
  };
}

export type SubscriberView = ReturnType<typeof subscriberView>;

export async function listSubscribers(ctx: AppContext, f: SubscriberFilter): Promise<SubscriberRow[]> {
  return findSubscribers(ctx.db.kysely, f);
}

export async function loadSubscriber(ctx: AppContext, grantId: string): Promise<SubscriberRow> {
  const [row] = await findSubscribers(ctx.db.kysely, { grantId, limit: 1 });
  if (!row) throw notFound('subscriber', grantId);
  return row;
}

export const CSV_MAX_ROWS = 100_000;
const CSV_PAGE = 500;

const csvColumns: [string, (s: SubscriberView) => string | null][] = [
  ['id', (s) => s.id],
  ['status', (s) => s.status.code],
  ['status_label', (s) => s.status.label],
  ['who_acts', (s) => s.status.who_acts],
  ['email', (s) => s.customer.email],
  ['name', (s) => s.customer.name],
  ['discord_user_id', (s) => s.customer.discord_user_id],
  ['discord_username', (s) => s.customer.discord_username],
  ['entitlement_id', (s) => s.entitlement.id],
  ['entitlement', (s) => s.entitlement.name],
  ['server_id', (s) => s.server.id],
  ['server', (s) => s.server.name],
  ['source', (s) => s.source],
  ['starts_at', (s) => s.starts_at],
  ['ends_at', (s) => s.ends_at],
  ['created_at', (s) => s.created_at],
  ['stripe_customer_id', (s) => s.stripe_customer_id],
  ['stripe_subscription_id', (s) => s.stripe_subscription_id],
];

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with `'`. */
export function csvCell(value: string | null): string {
  if (value === null) return '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Every subscriber matching the filter as CSV (header first), page by page. */
export async function subscribersCsv(ctx: AppContext, f: Omit<SubscriberFilter, 'limit' | 'afterId'>) {
  const lines = [csvColumns.map(([name]) => name).join(',')];
  let afterId: string | undefined;
  for (let n = 0; n < CSV_MAX_ROWS; n += CSV_PAGE) {
    const rows = await findSubscribers(ctx.db.kysely, { ...f, afterId, limit: CSV_PAGE });
    for (const r of rows.slice(0, CSV_PAGE)) {
      const view = subscriberView(r);
      lines.push(csvColumns.map(([, get]) => csvCell(get(view))).join(','));
    }
    if (rows.length <= CSV_PAGE) break;
    afterId = rows[CSV_PAGE - 1]?.id;
  }
  return `${lines.join('\r\n')}\r\n`;
}
