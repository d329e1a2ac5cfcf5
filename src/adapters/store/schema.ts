import type {
  ServersTable,
  ServerRolesTable,
  EntitlementsTable,
  PricesTable,
  PlanMovesTable,
  RolesChannelStateTable,
  StripeCatalogClaimsTable,
} from './tables/catalog.js';
import type {
  CustomersTable,
  DiscordLinksTable,
  DiscordLinkHistoryTable,
  GrantsTable,
  SyncLogTable,
  GrantClaimsTable,
  CheckoutLinksTable,
  GrantPaymentIntentsTable,
  StripeObjectSyncsTable,
} from './tables/grants.js';
import type {
  JobsTable,
  JobRunsTable,
  PeriodicTasksTable,
  GatewayLeasesTable,
  InboxEventsTable,
} from './tables/queue.js';
import type {
  WebhookEndpointsTable,
  WebhookDeliveriesTable,
  WebhookAttemptsTable,
  AlertNoticesTable,
} from './tables/webhooks.js';
import type {
  ApiKeysTable,
  AdminsTable,
  AdminSessionsTable,
  AdminInvitationsTable,
  BuyerTokensTable,
  OAuthStatesTable,
  PortalSessionsTable,
} from './tables/sign-in.js';
import type { InstanceSettingsTable } from './tables/settings.js';

export type * from './tables/catalog.js';
export type * from './tables/grants.js';
export type * from './tables/queue.js';
export type * from './tables/webhooks.js';
export type * from './tables/sign-in.js';
export type * from './tables/settings.js';

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
  plan_moves: PlanMovesTable;
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
  instance_settings: InstanceSettingsTable;
}
