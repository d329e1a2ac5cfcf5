/**
 * Shapes of the subscribers, alerts and overview routes (`/api/subscribers…`, `/api/alerts`,
 * `/api/overview`, documented in the OpenAPI at /api/docs), as the dashboard reads them.
 */

export const SUBSCRIBER_STATUSES = [
  { value: 'subscribed', label: 'Subscribed' },
  { value: 'invitation_sent', label: 'Invitation sent — not yet linked' },
  { value: 'not_invited', label: 'Not invited' },
  { value: 'delivering', label: 'Being delivered' },
  { value: 'failed', label: 'Failed' },
  { value: 'past_due', label: 'Past due' },
  { value: 'suspended', label: 'Suspended' },
  { value: 'revoked', label: 'Revoked' },
  { value: 'checkout_open', label: 'Checkout not finished' },
] as const;

export type SubscriberStatusCode = (typeof SUBSCRIBER_STATUSES)[number]['value'];
export type WhoActs = 'merchant' | 'buyer' | 'retrying' | 'support' | null;

export interface Subscriber {
  id: string;
  object: 'subscriber';
  status: { code: SubscriberStatusCode; label: string; detail: string | null; who_acts: WhoActs };
  grant_status: string;
  active: boolean;
  customer: {
    id: string;
    email: string | null;
    name: string | null;
    discord_user_id: string | null;
    discord_username: string | null;
  };
  entitlement: { id: string; name: string };
  server: { id: string; name: string };
  source: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  starts_at: string | null;
  ends_at: string | null;
  grace_ends_at: string | null;
  created_at: string | null;
  delivered_at: string | null;
  revoked_at: string | null;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  outcome: 'ok' | 'failed' | 'skipped' | 'info';
  text: string;
  error: { code: string; owner: string | null } | null;
  cause: string | null;
}

export interface SubscriberDetail extends Subscriber {
  status_reason: string | null;
  last_error: { code: string; message: string | null; owner: string | null } | null;
  stripe_links: {
    customer: string | null;
    subscription: string | null;
    payments: { id: string; url: string }[];
  };
  timeline: TimelineEntry[];
}

export interface AlertItem {
  id: string;
  kind: 'server_paused' | 'server_removed' | 'grants_failed' | 'jobs_dead' | 'webhook_endpoint_disabled';
  severity: 'critical' | 'warning';
  title: string;
  message: string;
  fix: string;
  since: string | null;
  count: number;
  server_id: string | null;
  webhook_endpoint_id: string | null;
}

export interface Overview {
  generated_at: string;
  active_members: number;
  entitlements: {
    id: string;
    name: string;
    archived: boolean;
    server: { id: string; name: string };
    active_members: number;
  }[];
  mrr: { currency: string; amount: number; subscriptions: number }[];
  last_30_days: { new: number; lost: number; days: { date: string; new: number; lost: number }[] };
  attention: { critical: number; alerts: AlertItem[] };
}

/** Who must act, in words a merchant reads at once. */
export const WHO_ACTS: Record<Exclude<WhoActs, null>, string> = {
  merchant: 'You must act',
  buyer: 'Waiting for the buyer',
  retrying: 'Rolegate is retrying',
  support: 'Unexpected error: contact support',
};

/** Text colour per status (each at least 4.5:1 on white). */
export function statusColor(code: SubscriberStatusCode): string {
  switch (code) {
    case 'subscribed':
      return '#1b5e20';
    case 'failed':
      return '#a61e1e';
    case 'past_due':
    case 'not_invited':
    case 'suspended':
      return '#8a3c00';
    case 'invitation_sent':
    case 'delivering':
      return '#2b3a9e';
    default:
      return '#343a40';
  }
}

/** The buyer as the merchant knows them: email, else Discord name, else the Discord id. */
export function buyerName(s: Subscriber): string {
  return (
    s.customer.email ??
    s.customer.name ??
    s.customer.discord_username ??
    (s.customer.discord_user_id ? `Discord user ${s.customer.discord_user_id}` : s.customer.id)
  );
}
