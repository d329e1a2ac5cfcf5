import type { Generated } from 'kysely';

/** Customers, their Discord accounts, grants and what happened to them. */

export interface CustomersTable {
  id: string;
  email: string | null;
  name: string | null;
  stripe_customer_id: string | null;
  /** The Discord account currently linked; grants follow it. */
  discord_user_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface DiscordLinksTable {
  customer_id: string;
  discord_user_id: string;
  username: string | null;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  token_expires_at: number | null;
  scope: string | null;
  /** Set when Discord reported the token dead (revoked, invalid_grant). */
  token_invalid_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A Discord account a customer linked before switching to another one. */
export interface DiscordLinkHistoryTable {
  customer_id: string;
  discord_user_id: string;
  unlinked_at: number;
}

export interface GrantsTable {
  id: string;
  entitlement_id: string;
  customer_id: string;
  server_id: string;
  /** `pending` | `delivered` | `suspended` | `failed` | `revoked` */
  status: string;
  /** 1 while the grant confers access (paid, not suspended, not revoked); `status` tracks delivery. */
  active: number;
  /** `checkout` | `subscription` | `payment` | `manual` | `comp` */
  source: string;
  price_id: string | null;
  stripe_checkout_session_id: string | null;
  stripe_subscription_id: string | null;
  /** JSON array of payment_intent ids paid for this grant (refunds and disputes map back through it). */
  stripe_payment_intents: string;
  /** Last known status of the Stripe object behind the grant. */
  stripe_status: string | null;
  /** `created` time (epoch s) of the newest Stripe event applied; older ones cannot overrule it. */
  stripe_event_created: number | null;
  starts_at: number;
  ends_at: number | null;
  grace_ends_at: number | null;
  claim_code: string | null;
  /** JSON array of role ids this grant actually gave, so revoke targets them after a config change. */
  granted_role_ids: string;
  last_error_code: string | null;
  last_error_message: string | null;
  /** `retry` | `merchant` | `customer` | `bug` */
  last_error_owner: string | null;
  status_reason: string | null;
  note: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
  revoked_at: number | null;
  /** The period end the "access ending soon" email was sent for (migration 007); null = none yet. */
  reminded_for_ends_at: number | null;
  /** The grace end the "payment failed" email was sent for (migration 007); null = none yet. */
  payment_failed_reminded_for: number | null;
  /** When `entitlement_grant.created` was emitted (first access); null = never conferred access (010). */
  announced_at: number | null;
  /** What the person who revoked chose for billing: `cancel_now` | `cancel_at_period_end` | `keep_billing`. */
  revoke_billing: string | null;
  /** `pending` (Stripe call queued) | `done` | `failed` (see `revoke_billing_error`). */
  revoke_billing_status: string | null;
  revoke_billing_error: string | null;
  /** When the Stripe subscription ends or ended (scheduled cancel, or canceled); null while it renews. */
  stripe_cancel_at: number | null;
}

export interface SyncLogTable {
  id: Generated<number>;
  server_id: string;
  discord_user_id: string;
  grant_id: string | null;
  /** `add_role` | `remove_role` | `join` | `kick` | `check`, or `billing` (a revoke's Stripe change, 010) */
  action: string;
  role_id: string | null;
  /** `ok` | `failed` | `skipped` */
  outcome: string;
  error_code: string | null;
  error_owner: string | null;
  message: string | null;
  /** What caused it: `grant:grt_…`, `event:evt_…`, `reconcile`, `person:…`. */
  cause: string;
  created_at: number;
}

/** A claim code is one-time: the Discord user who used it. */
export interface GrantClaimsTable {
  grant_id: string;
  discord_user_id: string;
  claimed_at: number;
}

export interface CheckoutLinksTable {
  /** The short `/c/<token>` a Discord link button points at. */
  token: string;
  /** Where it redirects: a Stripe Checkout or billing-portal URL. */
  url: string;
  entitlement_id: string;
  discord_user_id: string | null;
  created_at: number;
  expires_at: number;
}

/** payment_intent → grant: refunds and disputes carry only the payment intent. */
export interface GrantPaymentIntentsTable {
  payment_intent_id: string;
  grant_id: string;
  created_at: number;
}

/** Per Stripe object: when the snapshot last applied was requested, so an older snapshot cannot win. */
export interface StripeObjectSyncsTable {
  object_id: string;
  /** Wall-clock epoch ms at which the applied snapshot was requested from Stripe. */
  requested_at: number;
}
