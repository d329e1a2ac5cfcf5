import type { Entitlement, EntitlementInput } from '../api';

/** The entitlement form's state, and its conversions from and to the API's entitlement. */

export interface Form {
  server_id: string | null;
  name: string;
  description: string;
  role_ids: string[];
  price_kind: 'one_time' | 'recurring' | 'none';
  amount: number;
  currency: string;
  interval: string;
  access_kind: string;
  days: number;
  trial_days: number;
  /** `YYYY-MM-DDTHH:mm` in the merchant's time zone, or '' for no end. */
  sale_ends_at: string;
  revoke_action: string;
  fallback_role_id: string | null;
  grace_days: number;
  enforce_roles: boolean;
  partial_refund_policy: string;
  dispute_policy: string;
}

export const EMPTY: Form = {
  server_id: null,
  name: '',
  description: '',
  role_ids: [],
  price_kind: 'recurring',
  amount: 5,
  currency: 'usd',
  interval: 'month',
  access_kind: 'subscription',
  days: 30,
  trial_days: 0,
  sale_ends_at: '',
  revoke_action: 'remove_roles',
  fallback_role_id: null,
  grace_days: 3,
  enforce_roles: false,
  partial_refund_policy: 'keep',
  dispute_policy: 'revoke',
};

export function fromEntitlement(e: Entitlement): Form {
  const p = e.prices[0];
  return {
    server_id: e.server_id,
    name: e.name,
    description: e.description,
    role_ids: e.role_ids,
    price_kind: p ? p.kind : 'none',
    amount: p ? p.amount / 100 : 5,
    currency: p?.currency ?? 'usd',
    interval: p?.interval ?? 'month',
    access_kind: e.access.kind,
    days: e.access.days ?? 30,
    trial_days: e.trial_days,
    sale_ends_at: e.sale_ends_at ? toLocalInput(e.sale_ends_at) : '',
    revoke_action: e.revoke_action,
    fallback_role_id: e.fallback_role_id,
    grace_days: e.grace_days,
    enforce_roles: e.enforce_roles,
    partial_refund_policy: e.partial_refund_policy,
    dispute_policy: e.dispute_policy,
  };
}

/** An ISO time as the value of a `datetime-local` input, in this browser's time zone. */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function toInput(f: Form): EntitlementInput {
  const amount = Math.round(f.amount * 100);
  const prices: EntitlementInput['prices'] =
    f.price_kind === 'none'
      ? []
      : f.price_kind === 'one_time'
        ? [{ kind: 'one_time', amount, currency: f.currency }]
        : [{ kind: 'recurring', amount, currency: f.currency, interval: f.interval, interval_count: 1 }];
  return {
    name: f.name,
    description: f.description,
    role_ids: f.role_ids,
    prices,
    access: { kind: f.access_kind, days: f.access_kind === 'days' ? f.days : null },
    trial_days: f.trial_days,
    sale_ends_at: f.sale_ends_at ? new Date(f.sale_ends_at).toISOString() : null,
    revoke_action: f.revoke_action,
    fallback_role_id: f.revoke_action === 'swap' ? f.fallback_role_id : null,
    grace_days: f.grace_days,
    enforce_roles: f.enforce_roles,
    partial_refund_policy: f.partial_refund_policy,
    dispute_policy: f.dispute_policy,
    restore_on_dispute_won: true,
  };
}
