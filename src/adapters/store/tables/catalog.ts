/** Servers, their roles, entitlements and prices: what is sold and where. */

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

/** A plan change the merchant offers: to another entitlement of the server, or between one's prices. */
export interface PlanMovesTable {
  entitlement_id: string;
  to_entitlement_id: string;
  /** `upgrade` | `downgrade` | `switch` (between the prices of one entitlement) */
  kind: string;
  created_at: number;
}

export interface RolesChannelStateTable {
  server_id: string;
  /** Why the roles channel could not be published, in plain words for the merchant; null when fine. */
  error: string | null;
  published_at: number | null;
  updated_at: number;
}

export interface StripeCatalogClaimsTable {
  /** One claim per entitlement: its Product and every Price are created under it. */
  entitlement_id: string;
  /** A random token of the claiming call, so only it releases the claim. */
  holder: string;
  /** Epoch ms after which another process may take the claim over (its holder died). */
  claimed_until: number;
}
