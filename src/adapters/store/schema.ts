import type { Generated } from 'kysely';

/**
 * Table types shared by the SQLite and PostgreSQL stores.
 * Portable column conventions: times are integer epoch milliseconds (UTC), booleans are 0/1 integers,
 * JSON is text, ids are prefixed text, money is integer minor units plus an ISO currency.
 */
export interface Database {
  servers: ServersTable;
  server_roles: ServerRolesTable;
  entitlements: EntitlementsTable;
  prices: PricesTable;
  customers: CustomersTable;
  discord_links: DiscordLinksTable;
  grants: GrantsTable;
  sync_log: SyncLogTable;
  jobs: JobsTable;
  periodic_tasks: PeriodicTasksTable;
  gateway_leases: GatewayLeasesTable;
  inbox_events: InboxEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  api_keys: ApiKeysTable;
  job_runs: JobRunsTable;
  checkout_links: CheckoutLinksTable;
  grant_claims: GrantClaimsTable;
  roles_channel_state: RolesChannelStateTable;
  discord_link_history: DiscordLinkHistoryTable;
  grant_payment_intents: GrantPaymentIntentsTable;
  stripe_object_syncs: StripeObjectSyncsTable;
  stripe_catalog_claims: StripeCatalogClaimsTable;
  buyer_tokens: BuyerTokensTable;
  oauth_states: OAuthStatesTable;
  alert_notices: AlertNoticesTable;
  portal_sessions: PortalSessionsTable;
  admins: AdminsTable;
  admin_sessions: AdminSessionsTable;
  admin_invitations: AdminInvitationsTable;
}

export interface ServersTable {
  id: string;
  guild_id: string;
  name: string;
  bot_user_id: string | null;
  owner_id: string | null;
  /** Decimal string of the bot's guild-level permission bits. */
  bot_permissions: string;
  bot_top_position: number;
  bot_top_role_id: string | null;
  /** `active` | `paused` | `removed` */
  status: string;
  pause_reason: string | null;
  paused_at: number | null;
  members_intent: number;
  roles_channel_id: string | null;
  roles_message_id: string | null;
  health_checked_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ServerRolesTable {
  server_id: string;
  role_id: string;
  name: string;
  position: number;
  permissions: string;
  managed: number;
}

export interface EntitlementsTable {
  id: string;
  server_id: string;
  name: string;
  description: string;
  /** JSON array of role ids; empty means membership of the server only. */
  role_ids: string;
  /** `subscription` | `days` | `lifetime` */
  access_kind: string;
  access_days: number | null;
  trial_days: number;
  sale_ends_at: number | null;
  /** `remove_roles` | `kick` | `keep` | `swap` */
  revoke_action: string;
  fallback_role_id: string | null;
  grace_days: number;
  /** 1 = a managed role held without a live grant is removed by reconcile. */
  enforce_roles: number;
  /** `revoke` | `keep` */
  partial_refund_policy: string;
  /** `revoke` | `suspend` */
  dispute_policy: string;
  restore_on_dispute_won: number;
  archived_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface PricesTable {
  id: string;
  entitlement_id: string;
  /** `one_time` | `recurring` */
  kind: string;
  amount: number;
  currency: string;
  /** `day` | `week` | `month` | `year`, recurring only */
  interval: string | null;
  interval_count: number | null;
  stripe_product_id: string | null;
  stripe_price_id: string | null;
  active: number;
  created_at: number;
}

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

export interface JobsTable {
  id: string;
  kind: string;
  payload: string;
  /** `queued` | `running` | `dead` (done jobs are deleted; their count lives in job_runs and metrics) */
  status: string;
  dedupe_key: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface JobRunsTable {
  /** Optional audit of completed jobs (benchmarks and exactly-once tests read it). */
  id: Generated<number>;
  job_id: string;
  kind: string;
  worker: string;
  created_at: number;
}

export interface PeriodicTasksTable {
  name: string;
  /** Index of the last period (floor(now / interval)) for which the task was enqueued. */
  last_period: number;
}

/** The gateway listener's leader lease, one row per bot (see migration 011). */
export interface GatewayLeasesTable {
  name: string;
  /** The instance holding the lease (its listener id). */
  holder: string;
  /** Epoch ms; after it any instance may take the lease. */
  expires_at: number;
  /** Where the leader's connection stands: connecting | connected | no_members_intent | disconnected. */
  status: string;
  detail: string | null;
  updated_at: number;
}

export interface InboxEventsTable {
  source: string;
  id: string;
  type: string;
  payload: string;
  received_at: number;
  processed_at: number | null;
  error: string | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string;
  secret_enc: string;
  /** JSON array of event types; empty = all. */
  event_types: string;
  enabled: number;
  disabled_reason: string | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  /** `msg_…`: the `webhook-id` header, identical on every retry. */
  id: string;
  endpoint_id: string;
  event_type: string;
  payload: string;
  /** `pending` | `succeeded` | `failed` */
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** First characters of the key, shown in lists. */
  prefix: string;
  /** SHA-256 hex of the whole key. */
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
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

/** A claim code is one-time: the Discord user who used it. */
export interface GrantClaimsTable {
  grant_id: string;
  discord_user_id: string;
  claimed_at: number;
}

export interface RolesChannelStateTable {
  server_id: string;
  /** Why the roles channel could not be published, in plain words for the merchant; null when fine. */
  error: string | null;
  published_at: number | null;
  updated_at: number;
}

/** A Discord account a customer linked before switching to another one. */
export interface DiscordLinkHistoryTable {
  customer_id: string;
  discord_user_id: string;
  unlinked_at: number;
}

export interface StripeCatalogClaimsTable {
  /** One claim per entitlement: its Product and every Price are created under it. */
  entitlement_id: string;
  /** A random token of the claiming call, so only it releases the claim. */
  holder: string;
  /** Epoch ms after which another process may take the claim over (its holder died). */
  claimed_until: number;
}

/** A single-use link emailed to a buyer (migration 008); only the token's SHA-256 is stored. */
export interface BuyerTokensTable {
  /** `btk_…` */
  id: string;
  /** `sign_in` | `connect` | `portal` (the customer portal's email sign-in, decision 0021) */
  purpose: string;
  customer_id: string;
  /** The purchase a Connect Discord link was sent for; null for a customer-wide link. */
  grant_id: string | null;
  /** The offer a sign-in link was asked from. */
  entitlement_id: string | null;
  token_hash: string;
  created_at: number;
  expires_at: number;
  /** When the link was used; a used link never works again. */
  used_at: number | null;
}

/** The `state` of an OAuth round trip Rolegate started (migration 008): consumed once by its callback. */
export interface OAuthStatesTable {
  /** SHA-256 hex of the state sent to Discord. */
  state_hash: string;
  /** `bot_install` */
  purpose: string;
  /** Who asked: `person:key_…` (an API key), `session:ses_…` (a dashboard session), `system:…`. */
  actor: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A browser signed into the customer portal (migration 021); only the cookie token's SHA-256 is stored. */
export interface PortalSessionsTable {
  token_hash: string;
  /** Signed in by an emailed link: this customer's purchases. */
  customer_id: string | null;
  /** Signed in with Discord: the purchases of every customer linked to this account. */
  discord_user_id: string | null;
  created_at: number;
  expires_at: number;
}

/** A person who may administer this Rolegate (decision 0015), known by their Discord account. */
export interface AdminsTable {
  id: string;
  discord_user_id: string;
  username: string;
  /** `adm_…` who invited them; null for the first admin (the first-run claim). */
  invited_by: string | null;
  created_at: number;
  last_sign_in_at: number | null;
  removed_at: number | null;
}

/** A signed-in browser. The cookie holds a random token; only its SHA-256 is stored. */
export interface AdminSessionsTable {
  id: string;
  admin_id: string;
  token_hash: string;
  /** The token before the last rotation, accepted until `previous_valid_until` (requests in flight). */
  previous_token_hash: string | null;
  previous_valid_until: number | null;
  user_agent: string | null;
  ip: string | null;
  created_at: number;
  rotated_at: number;
  last_seen_at: number;
  /** Absolute end of the session, whatever its activity. */
  expires_at: number;
  revoked_at: number | null;
}

/** A one-time sign-in link that makes whoever uses it an admin: `setup` (first run) or `invite`. */
export interface AdminInvitationsTable {
  id: string;
  kind: string;
  token_hash: string;
  created_by: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: string | null;
  revoked_at: number | null;
}

/** An alert already told about (migration 023): notified once when it appears, once when it ends. */
export interface AlertNoticesTable {
  /** The alert's stable id, e.g. `server_paused:srv_…`. */
  id: string;
  kind: string;
  title: string;
  message: string;
  server_id: string | null;
  first_seen_at: number;
  /** When admins were emailed about it; null while the email is owed (or nobody is configured). */
  emailed_at: number | null;
  /** When it stopped being an alert; null while it lasts. */
  resolved_at: number | null;
}
