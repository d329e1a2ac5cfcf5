/** Small helpers for the local Stripe's HTML pages (hosted Checkout and the billing portal). */
import type Stripe from 'stripe';

export interface PageResponse {
  status: number;
  html?: string;
  /** A 303 See Other to this location. */
  redirect?: string;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

export function formatMoney(amount: number, currency: string): string {
  const major = ZERO_DECIMAL.has(currency) ? amount : amount / 100;
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
      major,
    );
  } catch {
    return `${major.toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export function describeRecurring(price: Stripe.Price): string {
  const r = price.recurring;
  if (r === null) return '';
  return r.interval_count === 1 ? ` / ${r.interval}` : ` every ${r.interval_count} ${r.interval}s`;
}

export function formatDate(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f6f8fa; color: #1a1f36; margin: 0; }
  main { max-width: 520px; margin: 40px auto; background: #fff; padding: 28px; border-radius: 10px; box-shadow: 0 2px 8px #0001; }
  .badge { display: inline-block; background: #ffe7b3; color: #7a4b00; font-size: 12px; padding: 2px 8px; border-radius: 4px; }
  table { width: 100%; border-collapse: collapse; margin: 16px 0; }
  td { padding: 6px 0; border-bottom: 1px solid #eee; } td.amount { text-align: right; }
  .total td { font-weight: 600; border-bottom: none; }
  .error { background: #fde8e8; color: #9b1c1c; padding: 10px; border-radius: 6px; }
  .notice { background: #e8f1fd; color: #1c4f9b; padding: 10px; border-radius: 6px; }
  label { display: block; margin: 12px 0 4px; } input[type=email] { width: 100%; padding: 8px; box-sizing: border-box; }
  button { display: block; width: 100%; margin-top: 10px; padding: 10px; border: 0; border-radius: 6px; font-size: 15px; cursor: pointer; }
  button.pay { background: #635bff; color: #fff; } button.alt { background: #e3e8ee; }
  .sub { border: 1px solid #eee; border-radius: 8px; padding: 12px; margin: 12px 0; }
</style>
</head>
<body><main><p><span class="badge">Local Stripe · test mode</span></p>
${body}
</main></body>
</html>`;
}
