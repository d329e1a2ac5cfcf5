import type { Selectable } from 'kysely';
import type { EntitlementsTable, PricesTable } from '../../adapters/store/schema.js';

/** Plain-words descriptions of what is for sale, shared by the roles channel, replies and emails. */

type Price = Pick<Selectable<PricesTable>, 'kind' | 'amount' | 'currency' | 'interval' | 'interval_count'>;
type Entitlement = Pick<
  Selectable<EntitlementsTable>,
  'access_kind' | 'access_days' | 'trial_days' | 'sale_ends_at'
>;

/** `$5.00`, `€12`, `¥500`: minor units shown with the currency's own number of decimals. */
export function formatMoney(amount: number, currency: string): string {
  const code = currency.toUpperCase();
  try {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: code });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    // An ISO code Intl does not know: show it plainly rather than fail a whole message.
    return `${(amount / 100).toFixed(2)} ${code}`;
  }
}

/** `$5.00 / month`, `$15.00 every 3 months`, `$10.00 once`. */
export function formatPrice(p: Price): string {
  const money = formatMoney(p.amount, p.currency);
  if (p.kind !== 'recurring' || !p.interval) return `${money} once`;
  const count = p.interval_count ?? 1;
  return count === 1 ? `${money} / ${p.interval}` : `${money} every ${count} ${p.interval}s`;
}

/** How long access lasts: `renews until cancelled`, `30 days of access`, `lifetime access`. */
export function formatDuration(e: Entitlement): string {
  const parts: string[] = [];
  switch (e.access_kind) {
    case 'days':
      parts.push(`${e.access_days ?? 0} days of access`);
      break;
    case 'lifetime':
      parts.push('lifetime access');
      break;
    default:
      parts.push('renews until cancelled');
  }
  if (e.trial_days > 0) parts.push(`${e.trial_days}-day free trial`);
  return parts.join(' · ');
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Cuts text to a Discord field limit, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
