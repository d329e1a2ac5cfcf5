/**
 * The dashboard's typed client of the public REST API (the same routes the OpenAPI document at
 * /api/docs lists). The session cookie goes along by itself; writes add the session's CSRF token.
 */

export interface ApiErrorBody {
  error: { code: string; message: string; request_id?: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
export const setCsrfToken = (token: string) => {
  csrfToken = token;
};

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = (parsed as ApiErrorBody | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'error', err?.message ?? `${res.status} ${res.statusText}`);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Admin {
  id: string;
  discord_user_id: string;
  username: string;
  invited_by: string | null;
  created_at: string;
  last_sign_in_at: string | null;
}

export interface SessionInfo {
  admin: Admin;
  session_id: string;
  csrf_token: string;
}

export interface SessionRow {
  id: string;
  current: boolean;
  user_agent: string | null;
  ip: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface Invitation {
  id: string;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  url?: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  key?: string;
}

export interface RoleHealth {
  role_id: string;
  name: string | null;
  grantable: boolean;
  problem: { code: string; message: string } | null;
}

export interface Server {
  id: string;
  guild_id: string;
  name: string;
  status: string;
  pause_reason: string | null;
  paused_at: string | null;
  bot_top_role_id: string | null;
  roles_channel_id: string | null;
  health_checked_at: string | null;
  created_at: string | null;
}

export interface ServerWithHealth extends Server {
  health: {
    healthy: boolean;
    status: string;
    pause_reason: string | null;
    checked_at: string | null;
    roles: RoleHealth[];
  };
}

export interface DiscordRole {
  id: string;
  name: string;
  position: number;
  managed: boolean;
  grantable: boolean;
  problem: { code: string; message: string } | null;
}

export interface ServerRoles {
  server_id: string;
  fetched_at: string;
  bot: { top_role_id: string | null; top_role_name: string | null; manage_roles: boolean };
  data: DiscordRole[];
}

export interface DiscordChannel {
  id: string;
  name: string | null;
  type: number;
  can_hold_roles_message: boolean;
}

export interface ServerChannels {
  server_id: string;
  fetched_at: string;
  data: DiscordChannel[];
}

export interface RolesChannel {
  server_id: string;
  channel_id: string | null;
  message_id: string | null;
  problem: string | null;
  published_at: string | null;
}

export type PriceInput =
  | { kind: 'one_time'; amount: number; currency: string }
  | { kind: 'recurring'; amount: number; currency: string; interval: string; interval_count: number };

export interface Price {
  id: string;
  kind: 'one_time' | 'recurring';
  amount: number;
  currency: string;
  interval: string | null;
  interval_count: number | null;
}

export interface EntitlementFields {
  name: string;
  description: string;
  role_ids: string[];
  access: { kind: string; days: number | null };
  trial_days: number;
  sale_ends_at: string | null;
  revoke_action: string;
  fallback_role_id: string | null;
  grace_days: number;
  enforce_roles: boolean;
  partial_refund_policy: string;
  dispute_policy: string;
  restore_on_dispute_won: boolean;
}

export interface Entitlement extends EntitlementFields {
  id: string;
  server_id: string;
  prices: Price[];
  archived_at: string | null;
  created_at: string;
}

export interface EntitlementInput extends EntitlementFields {
  server_id?: string;
  prices: PriceInput[];
}
