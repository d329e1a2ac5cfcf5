/** Who may act: API keys, admins and their sessions, buyers' single-use tokens and portal sessions. */

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
