/**
 * The event types a merchant webhook endpoint can subscribe to: the same list as
 * `webhookEventTypes` in src/app/webhooks/events.ts (test/e2e/dashboard-settings.test.ts checks it).
 */
export const WEBHOOK_EVENT_TYPES = [
  'entitlement_grant.created',
  'entitlement_grant.delivered',
  'entitlement_grant.failed',
  'entitlement_grant.revoked',
  'entitlement_grant.updated',
  'server.paused',
  'server.resumed',
];

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookDelivery {
  id: string;
  endpoint_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  payload: unknown;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  attempts: {
    attempt: number;
    status_code: number | null;
    duration_ms: number;
    response_body: string | null;
    error: string | null;
    created_at: string;
  }[];
}
