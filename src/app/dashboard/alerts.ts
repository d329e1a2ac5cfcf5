import type { AppContext } from '../shared/context.js';
import {
  deadJobsByKind,
  disabledEndpoints,
  merchantFailures,
  pausedServers,
  removedServersInUse,
} from './store/alerts.js';

/**
 * Alerts: what the merchant must look at, computed from the current state (a fixed problem
 * disappears by itself). Each has a stable id, so a notifier can tell new alerts from known ones.
 */

export type AlertKind =
  'server_paused' | 'server_removed' | 'grants_failed' | 'jobs_dead' | 'webhook_endpoint_disabled';

export interface Alert {
  id: string;
  kind: AlertKind;
  severity: 'critical' | 'warning';
  title: string;
  message: string;
  fix: string;
  since: string | null;
  count: number;
  server_id: string | null;
  webhook_endpoint_id: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const blank = { count: 1, server_id: null, webhook_endpoint_id: null };

async function serverAlerts(ctx: AppContext): Promise<Alert[]> {
  const db = ctx.db.kysely;
  const paused = (await pausedServers(db)).map((s): Alert => ({
    ...blank,
    id: `server_paused:${s.id}`,
    kind: 'server_paused',
    severity: 'critical',
    title: `${s.name}: syncs are paused`,
    message: s.pause_reason ?? 'Rolegate paused this server.',
    fix: 'Fix it in Discord, then press “Refresh roles” (POST /api/servers/:id/refresh): waiting members are synced again.',
    since: iso(s.paused_at ?? s.updated_at),
    server_id: s.id,
  }));
  const removed = (await removedServersInUse(db)).map((s): Alert => ({
    ...blank,
    id: `server_removed:${s.id}`,
    kind: 'server_removed',
    severity: 'critical',
    title: `${s.name}: the bot was removed`,
    message: 'Buyers hold access to this server, but the Rolegate bot is no longer in it.',
    fix: 'Add the server again (Servers → Add server) with the same Discord server.',
    since: iso(s.updated_at),
    server_id: s.id,
  }));
  return [...paused, ...removed];
}

async function deliveryAlerts(ctx: AppContext): Promise<Alert[]> {
  const db = ctx.db.kysely;
  const failed = (await merchantFailures(db)).map((f): Alert => ({
    ...blank,
    id: `grants_failed:${f.server_id}:${f.last_error_code ?? 'unknown'}`,
    kind: 'grants_failed',
    severity: 'critical',
    title: `${f.server_name}: ${plural(f.n, 'buyer is', 'buyers are')} waiting for their roles`,
    message: f.message ?? 'Discord refused to give the roles.',
    fix: 'Do what the message says, then retry the grants (Subscribers → Failed → Retry).',
    since: iso(f.since),
    count: f.n,
    server_id: f.server_id,
  }));
  const dead = (await deadJobsByKind(db)).map((j): Alert => ({
    ...blank,
    id: `jobs_dead:${j.kind}`,
    kind: 'jobs_dead',
    severity: 'warning',
    title: `${plural(j.n, 'job', 'jobs')} of kind ${j.kind} gave up`,
    message: 'They failed every attempt; their last error is on the Jobs page.',
    fix: 'Read the error, fix the cause, then retry them (Jobs → Retry).',
    since: iso(j.since),
    count: j.n,
  }));
  const endpoints = (await disabledEndpoints(db)).map((e): Alert => ({
    ...blank,
    id: `webhook_endpoint_disabled:${e.id}`,
    kind: 'webhook_endpoint_disabled',
    severity: 'warning',
    title: `Webhook endpoint ${e.url} is disabled`,
    message: e.disabled_reason ?? 'It kept failing.',
    fix: 'Fix the receiver, enable the endpoint again and resend the failed deliveries.',
    since: iso(e.updated_at),
    webhook_endpoint_id: e.id,
  }));
  return [...failed, ...dead, ...endpoints];
}

/** Every current alert, critical first, oldest first within a severity. */
export async function currentAlerts(ctx: AppContext): Promise<Alert[]> {
  const all = [...(await serverAlerts(ctx)), ...(await deliveryAlerts(ctx))];
  const rank = (a: Alert) => (a.severity === 'critical' ? 0 : 1);
  return all.sort((a, b) => rank(a) - rank(b) || (a.since ?? '').localeCompare(b.since ?? ''));
}
