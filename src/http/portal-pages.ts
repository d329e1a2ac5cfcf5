import type { FastifyReply } from 'fastify';
import type { PortalCustomer, PortalPurchase, PortalView } from '../app/portal/overview.js';
import { shortDay } from '../app/portal/words.js';
import type { ReceiptSnapshot } from '../core/ports/stripe.js';
import { escapeHtml as esc } from '../core/html.js';

/**
 * The customer portal's HTML (decision 0021): server-rendered, no script, one column that works at
 * 390 px, every action a small POST form carrying the session's CSRF token.
 */

const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1b1f24;line-height:1.5}
header{background:#1e2230;color:#fff;padding:.75rem 1rem}
header .bar{max-width:44rem;margin:0 auto;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between}
header a,header button.link{color:#fff}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem;margin:0}
.card{background:#fff;border:1px solid #d5d9e0;border-radius:10px;padding:1rem;margin:.75rem 0}
.card>p:first-child,.card>form:first-child p:first-child{margin-top:0}
.state{margin:.25rem 0 .5rem;font-weight:600}
.ok{color:#11632f}.warn{color:#8a4b00}.ended{color:#4a5160}
.notice{background:#e6f0ff;border:1px solid #9bbcf0;border-radius:8px;padding:.75rem;margin:0 0 1rem}
.problem{background:#fff1e6;border:1px solid #e8b27d;border-radius:8px;padding:.75rem;margin:0 0 1rem}
ul.roles{list-style:none;padding:0;margin:.25rem 0}ul.roles li{margin:.15rem 0}
.muted{color:#4a5160}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem}
form{margin:0}
button,.button{background:#4752c4;color:#fff;border:0;border-radius:6px;padding:.6rem 1rem;font-size:1rem;cursor:pointer;text-decoration:none;display:inline-block;min-height:44px}
button.secondary,.button.secondary{background:#fff;color:#1b1f24;border:1px solid #8a909c}
button.link{background:none;border:0;padding:0;min-height:0;text-decoration:underline;font-size:inherit}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input[type=email]{width:100%;padding:.6rem;font-size:1rem;border:1px solid #8a909c;border-radius:6px;margin-bottom:.75rem}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:.4rem .25rem;border-bottom:1px solid #e3e6eb}
`;

export function portalPage(reply: FastifyReply, status: number, title: string, body: string, signOut = '') {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
        '<meta name="viewport" content="width=device-width,initial-scale=1">' +
        `<title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
        `<header><div class="bar"><span>Your purchases</span>${signOut}</div></header>` +
        `<main>${body}</main></body></html>`,
    );
}

/** A one-button POST form with the CSRF token and hidden fields. */
export function action(
  csrf: string,
  path: string,
  label: string,
  fields: Record<string, string> = {},
  kind: 'primary' | 'secondary' | 'link' = 'primary',
): string {
  const hidden = Object.entries({ csrf, ...fields })
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  const cls = kind === 'primary' ? '' : ` class="${kind}"`;
  return `<form method="post" action="${esc(path)}">${hidden}<button type="submit"${cls}>${esc(label)}</button></form>`;
}

export function emailForm(intro: string): string {
  return (
    `<p>${esc(intro)}</p><form method="post" action="/portal/sign-in/email">` +
    '<label for="email">Email address</label>' +
    '<input id="email" type="email" name="email" required maxlength="254" autocomplete="email" placeholder="you@example.com">' +
    '<button type="submit">Email me a sign-in link</button></form>'
  );
}

export function signInBody(message?: string): string {
  return (
    '<h1>Sign in to your purchases</h1>' +
    (message ? `<p class="problem" role="alert">${esc(message)}</p>` : '') +
    '<div class="card">' +
    emailForm(
      'Enter the email address you paid with. We will email you a link that signs you in (it works once, for 15 minutes).',
    ) +
    '</div><div class="card"><p>Or, if you connected Discord to your purchase:</p>' +
    '<a class="button" href="/portal/sign-in/discord">Sign in with Discord</a></div>'
  );
}

function rolesList(p: PortalPurchase): string {
  const place =
    p.joined === null
      ? ''
      : p.joined
        ? '<li>✓ You are in the server</li>'
        : '<li>✗ You are not in the server (any more)</li>';
  const roles = p.roles
    .map((r) => {
      const mark = r.held === null ? '•' : r.held ? '✓' : '✗';
      const words = r.held === null ? '' : r.held ? ' (you have it)' : ' (not yet)';
      return `<li>${mark} Role <strong>${esc(r.name)}</strong>${words}</li>`;
    })
    .join('');
  return `<ul class="roles">${place}${roles}</ul>`;
}

function purchaseCard(csrf: string, p: PortalPurchase): string {
  const buttons = [
    p.canRegain ? action(csrf, '/portal/regain', 'Regain access', { grant_id: p.id }) : '',
    p.canCancel ? action(csrf, '/portal/cancel', 'Cancel subscription', { grant_id: p.id }, 'secondary') : '',
    p.canResume ? action(csrf, '/portal/resume', 'Keep my subscription', { grant_id: p.id }) : '',
    p.canChangePlan
      ? `<a class="button secondary" href="/portal/plan?grant_id=${encodeURIComponent(p.id)}">Change plan</a>`
      : '',
  ].join('');
  const pending = p.planChangePending
    ? '<p class="problem">Your plan change waits for its payment: pay the open invoice under Receipts (or in Manage billing). Until then your plan and roles stay as they are.</p>'
    : '';
  return (
    `<article class="card" aria-labelledby="p-${esc(p.id)}"><h3 id="p-${esc(p.id)}">${esc(p.name)}</h3>` +
    `<p class="muted">Discord server: ${esc(p.serverName)}</p>` +
    `<p class="state ${p.tone}">${esc(p.words)}</p>${pending}${p.active ? rolesList(p) : ''}` +
    (buttons ? `<div class="actions">${buttons}</div>` : '') +
    '</article>'
  );
}

function receiptsTable(receipts: ReceiptSnapshot[]): string {
  if (receipts.length === 0) return '';
  const money = (r: ReceiptSnapshot) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency: r.currency.toUpperCase() }).format(
      (r.status === 'paid' ? r.amountPaid : r.amountDue) / 100,
    );
  const rows = receipts
    .map(
      (r) =>
        `<tr><td>${esc(shortDay(r.created))}</td><td>${esc(money(r))}</td><td>${esc(r.status ?? '')}</td>` +
        `<td>${r.hostedUrl ? `<a href="${esc(r.hostedUrl)}">Receipt ${esc(r.number ?? '')}</a>` : ''}</td></tr>`,
    )
    .join('');
  return (
    '<h2>Receipts</h2><div class="card"><table><thead><tr><th scope="col">Date</th><th scope="col">Amount</th>' +
    `<th scope="col">Status</th><th scope="col">Link</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
}

function discordSection(csrf: string, c: PortalCustomer): string {
  if (!c.discord)
    return (
      '<div class="card"><p>No Discord account is connected yet: connect it to get your roles.</p>' +
      `${action(csrf, '/portal/connect', 'Connect Discord', { customer_id: c.id })}</div>`
    );
  return (
    `<div class="card"><p>Your roles go to the Discord account <strong>${esc(c.discord.username ?? c.discord.userId)}</strong>.</p>` +
    `<p class="muted">Switching moves the roles: the old account loses them, the new one gets them.</p>` +
    `${action(csrf, '/portal/connect', 'Switch Discord account', { customer_id: c.id }, 'secondary')}</div>`
  );
}

function customerSection(csrf: string, c: PortalCustomer, many: boolean): string {
  const heading = many ? `<h2>Bought with ${esc(c.email ?? 'no email')}</h2>` : '';
  const purchases = c.purchases.length
    ? c.purchases.map((p) => purchaseCard(csrf, p)).join('')
    : '<p>No purchases yet.</p>';
  const billing = c.hasBilling
    ? `<div class="card"><p>Update your card, see invoices or change billing details on Stripe.</p>${action(csrf, '/portal/billing', 'Manage billing', { customer_id: c.id }, 'secondary')}</div>`
    : '';
  return `${heading}<h2>Purchases</h2>${purchases}<h2>Discord</h2>${discordSection(csrf, c)}${billing ? `<h2>Billing</h2>${billing}` : ''}${receiptsTable(c.receipts)}`;
}

export const NOTICES = {
  regain: 'We are adding you back to the server with your roles. Reload this page in a moment.',
  cancelled: 'Your subscription will not renew. You keep access until the end of the period you paid for.',
  resumed: 'Your subscription renews again.',
  connected: 'Discord is connected. Your roles are on their way.',
  plan_changed: 'Your plan is changed. Your roles follow in a moment.',
  plan_pending:
    'Your plan change waits for its payment, which did not go through. Pay the open invoice (Manage billing, or Receipts) and it takes effect.',
} as const;
export type Notice = keyof typeof NOTICES;

export function overviewBody(view: PortalView, csrf: string, notice: Notice | undefined): string {
  const many = view.customers.length > 1;
  return (
    '<h1>Your purchases</h1>' +
    (notice ? `<p class="notice" role="status">${esc(NOTICES[notice])}</p>` : '') +
    `<p class="muted">Signed in as ${esc(view.signedInAs)}.</p>` +
    view.customers.map((c) => customerSection(csrf, c, many)).join('')
  );
}
