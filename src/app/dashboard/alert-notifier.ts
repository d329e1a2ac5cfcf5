import { defineTask } from '../../core/jobs.js';
import { inTransaction, type AppContext } from '../shared/context.js';
import { emitWebhookEvent } from '../webhooks/events.js';
import { currentAlerts } from './alerts.js';
import {
  markEmailed,
  openNotices,
  recordNotice,
  resolveNotice,
  unemailedNotices,
} from './store/alert-notices.js';

/**
 * Tells people about alerts: a periodic scan compares the current alerts with the ones already told
 * about. A new alert is emailed to ALERT_EMAILS; a paused server also becomes the merchant webhook
 * event `server.paused`, and its end `server.resumed`. No pause site has to remember to notify.
 */

/** The periodic scan (its handler: `scanAlerts`). */
export const alertsScanTask = defineTask('alerts.scan');
export const ALERTS_SCAN_EVERY_MS = 60_000;

export interface ScanOutcome {
  opened: string[];
  resolved: string[];
  emailed: number;
}

function serverIdOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

export async function scanAlerts(ctx: AppContext): Promise<ScanOutcome> {
  const alerts = await currentAlerts(ctx);
  const emailOwed = (ctx.config.ALERT_EMAILS ?? []).length > 0;
  const { opened, resolved } = await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const known = new Map((await openNotices(tx.db)).map((n) => [n.id, n]));
    const current = new Set(alerts.map((a) => a.id));
    const opened: string[] = [];
    const resolved: string[] = [];
    for (const alert of alerts) {
      if (known.has(alert.id)) continue;
      await recordNotice(tx.db, alert, now, emailOwed);
      opened.push(alert.id);
      if (alert.kind === 'server_paused')
        await emitWebhookEvent(ctx, tx, 'server.paused', {
          server_id: alert.server_id,
          reason: alert.message,
          paused_at: alert.since,
        });
    }
    for (const notice of known.values()) {
      if (current.has(notice.id)) continue;
      await resolveNotice(tx.db, notice.id, now);
      resolved.push(notice.id);
      if (notice.kind === 'server_paused')
        await emitWebhookEvent(ctx, tx, 'server.resumed', {
          server_id: notice.server_id ?? serverIdOf(notice.id),
          resumed_at: new Date(now).toISOString(),
        });
    }
    return { opened, resolved };
  });
  return { opened, resolved, emailed: await emailAdmins(ctx) };
}

/** One email per address listing every alert not yet emailed; a failure throws so the job retries. */
async function emailAdmins(ctx: AppContext): Promise<number> {
  const to = ctx.config.ALERT_EMAILS ?? [];
  if (to.length === 0) return 0;
  const owed = await unemailedNotices(ctx.db.kysely);
  if (owed.length === 0) return 0;
  const lines = owed.map((n) => `• ${n.title}\n  ${n.message}`);
  const subject =
    owed.length === 1 ? `Rolegate alert: ${owed[0]!.title}` : `Rolegate: ${owed.length} new alerts`;
  const text = [
    'Rolegate needs your attention:',
    '',
    ...lines,
    '',
    `What to do about each: the Alerts page of the dashboard, ${ctx.publicUrl}/`,
  ].join('\n');
  for (const address of to) await ctx.ports.mail.send({ to: address, subject, text });
  await markEmailed(
    ctx.db.kysely,
    owed.map((n) => n.id),
    ctx.clock.now(),
  );
  return owed.length;
}
