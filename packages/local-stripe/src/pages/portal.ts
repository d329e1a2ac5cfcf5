/** The billing portal page a portal session's `url` points at: cancel at period end, undo it, resume. */
import type Stripe from 'stripe';
import { periodOf, productName } from '../engine/billing.js';
import { SandboxActionError, type Engine } from '../engine/context.js';
import { resume, setCancelAtPeriodEnd } from '../engine/subscriptions.js';
import type { FormObject } from '../form.js';
import { escapeHtml, formatDate, formatMoney, describeRecurring, layout, type PageResponse } from './html.js';

const SHOWN: ReadonlyArray<Stripe.Subscription.Status> = [
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'paused',
];

function subscriptionCard(engine: Engine, portalId: string, sub: Stripe.Subscription): string {
  const item = sub.items.data[0];
  const what =
    item === undefined
      ? sub.id
      : `${productName(engine, item.price)} — ${formatMoney(item.price.unit_amount ?? 0, item.price.currency)}${describeRecurring(item.price)}`;
  const end = periodOf(sub).end;
  let state = `Status: ${sub.status}. Renews on ${formatDate(end)}.`;
  let buttons = '';
  const action = (value: string, label: string, cls: string): string =>
    `<form method="post" action="/portal/${escapeHtml(portalId)}/subscriptions/${escapeHtml(sub.id)}"><button class="${cls}" name="action" value="${value}">${label}</button></form>`;
  if (sub.status === 'paused') {
    state = 'Status: paused.';
    buttons = action('resume', 'Resume subscription', 'pay');
  } else if (sub.cancel_at_period_end || sub.cancel_at !== null) {
    state = `Status: ${sub.status}. Ends on ${formatDate(sub.cancel_at ?? end)}.`;
    buttons = action('renew', 'Resume (don’t cancel)', 'pay');
  } else {
    buttons = action('cancel', 'Cancel at period end', 'alt');
  }
  return `<div class="sub"><strong>${escapeHtml(what)}</strong><p>${escapeHtml(state)}</p>${buttons}</div>`;
}

export function portalPage(engine: Engine, portalId: string, notice?: string): PageResponse {
  const portal = engine.store.portalSessions.get(portalId);
  if (portal === undefined)
    return { status: 404, html: layout('Not found', '<h1>Portal session not found</h1>') };
  const customer = engine.store.customers.get(portal.customer);
  const subs = [...engine.store.subscriptions.values()].filter(
    (s) => s.customer === portal.customer && SHOWN.includes(s.status),
  );
  const list =
    subs.length === 0
      ? '<p>No active subscriptions.</p>'
      : subs.map((s) => subscriptionCard(engine, portalId, s)).join('');
  const back =
    portal.return_url === null ? '' : `<p><a href="${escapeHtml(portal.return_url)}">← Return</a></p>`;
  const banner = notice === undefined ? '' : `<p class="notice" role="status">${escapeHtml(notice)}</p>`;
  return {
    status: 200,
    html: layout(
      'Billing portal',
      `${back}<h1>Your subscriptions</h1><p>${escapeHtml(customer?.email ?? portal.customer)}</p>${banner}${list}`,
    ),
  };
}

export function submitPortal(
  engine: Engine,
  portalId: string,
  subscriptionId: string,
  form: FormObject,
): PageResponse {
  const portal = engine.store.portalSessions.get(portalId);
  const sub = engine.store.subscriptions.get(subscriptionId);
  // A portal session only ever acts on its own customer's subscriptions.
  if (portal === undefined || sub === undefined || sub.customer !== portal.customer) {
    return { status: 404, html: layout('Not found', '<h1>Subscription not found</h1>') };
  }
  try {
    switch (form['action']) {
      case 'cancel':
        setCancelAtPeriodEnd(engine, sub, true);
        break;
      case 'renew':
        setCancelAtPeriodEnd(engine, sub, false);
        break;
      case 'resume':
        resume(engine, sub);
        break;
      default:
        return { ...portalPage(engine, portalId, 'Unknown action.'), status: 400 };
    }
  } catch (error) {
    if (error instanceof SandboxActionError)
      return { ...portalPage(engine, portalId, error.message), status: 409 };
    throw error;
  }
  return { status: 303, redirect: `/portal/${portalId}` };
}
