import type { Generated } from 'kysely';

/** Merchant webhook endpoints, deliveries and attempts, and alerts already told about. */

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
