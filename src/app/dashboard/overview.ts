import type { AppContext } from '../shared/context.js';
import { DAY_MS } from '../../core/clock.js';
import { currentAlerts } from './alerts.js';
import { activeByEntitlement, dailyNewAndLost, renewingPrices } from './store/overview.js';

/** The overview: who holds what, recurring revenue, new and lost per day, and what needs attention. */

export const OVERVIEW_DAYS = 30;

const MONTHS_PER: Record<string, number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

/** A recurring price as a monthly amount (minor units, unrounded): e.g. 120/year → 10/month. */
export function monthlyAmount(amount: number, interval: string | null, count: number | null): number {
  const months = (MONTHS_PER[interval ?? 'month'] ?? 1) * (count ?? 1);
  return amount / months;
}

async function mrr(ctx: AppContext) {
  const byCurrency = new Map<string, { amount: number; subscriptions: number }>();
  for (const p of await renewingPrices(ctx.db.kysely)) {
    const cur = byCurrency.get(p.currency) ?? { amount: 0, subscriptions: 0 };
    cur.amount += monthlyAmount(p.amount, p.interval, p.interval_count);
    cur.subscriptions += 1;
    byCurrency.set(p.currency, cur);
  }
  return [...byCurrency]
    .map(([currency, v]) => ({ currency, amount: Math.round(v.amount), subscriptions: v.subscriptions }))
    .sort((a, b) => a.currency.localeCompare(b.currency));
}

export async function overview(ctx: AppContext) {
  const now = ctx.clock.now();
  const today = Math.floor(now / DAY_MS);
  const firstDay = today - OVERVIEW_DAYS + 1;
  const { gained, lost } = await dailyNewAndLost(ctx.db.kysely, firstDay * DAY_MS);
  const days = Array.from({ length: OVERVIEW_DAYS }, (_, i) => {
    const day = firstDay + i;
    return {
      date: new Date(day * DAY_MS).toISOString().slice(0, 10),
      new: gained.get(day) ?? 0,
      lost: lost.get(day) ?? 0,
    };
  });
  const entitlements = (await activeByEntitlement(ctx.db.kysely)).map((e) => ({
    id: e.id,
    name: e.name,
    archived: e.archived_at !== null,
    server: { id: e.server_id, name: e.server_name },
    active_members: e.active,
  }));
  const alerts = await currentAlerts(ctx);
  return {
    generated_at: new Date(now).toISOString(),
    active_members: entitlements.reduce((n, e) => n + e.active_members, 0),
    entitlements,
    mrr: await mrr(ctx),
    last_30_days: {
      new: days.reduce((n, d) => n + d.new, 0),
      lost: days.reduce((n, d) => n + d.lost, 0),
      days,
    },
    attention: {
      critical: alerts.filter((a) => a.severity === 'critical').length,
      alerts: alerts.slice(0, 10),
    },
  };
}
