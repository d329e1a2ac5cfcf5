/**
 * The hosted Checkout page a session's `url` points at: shows what is bought and lets the buyer
 * pay, be declined, or pay with a delayed method; then redirects to `success_url`.
 */
import type Stripe from 'stripe';
import { completeCheckout, successRedirect, type CheckoutOutcome } from '../engine/checkout.js';
import { SandboxActionError, type Engine } from '../engine/context.js';
import { StripeApiError } from '../errors.js';
import type { FormObject } from '../form.js';
import { describeRecurring, escapeHtml, formatMoney, layout, type PageResponse } from './html.js';

const OUTCOMES: Record<string, CheckoutOutcome> = { pay: 'paid', decline: 'declined', delayed: 'delayed' };

function needsEmail(engine: Engine, session: Stripe.Checkout.Session): boolean {
  if (session.customer_email !== null) return false;
  if (typeof session.customer === 'string')
    return engine.store.customers.get(session.customer)?.email == null;
  return true;
}

function itemsTable(engine: Engine, session: Stripe.Checkout.Session): string {
  const items = engine.store.sessionLineItems.get(session.id) ?? [];
  const plan = engine.store.sessionPlans.get(session.id);
  const rows = items.map((item) => {
    const price = item.price;
    const suffix = price === null ? '' : describeRecurring(price);
    const qty = item.quantity !== null && item.quantity > 1 ? ` × ${item.quantity}` : '';
    return `<tr><td>${escapeHtml(item.description ?? '')}${qty}</td><td class="amount">${escapeHtml(formatMoney(item.amount_total, item.currency))}${escapeHtml(suffix)}</td></tr>`;
  });
  const trial =
    plan?.trialPeriodDays != null
      ? `<tr><td colspan="2">Free trial: ${plan.trialPeriodDays} day${plan.trialPeriodDays === 1 ? '' : 's'}</td></tr>`
      : '';
  const total = `<tr class="total"><td>Total${session.mode === 'subscription' ? ' due today' : ''}</td><td class="amount">${escapeHtml(
    formatMoney(plan?.trialPeriodDays != null ? 0 : (session.amount_total ?? 0), session.currency ?? 'usd'),
  )}</td></tr>`;
  return `<table>${rows.join('')}${trial}${total}</table>`;
}

export function renderCheckout(
  engine: Engine,
  session: Stripe.Checkout.Session,
  message?: { error: boolean; text: string },
): string {
  const title = session.mode === 'subscription' ? 'Subscribe' : 'Pay';
  const banner =
    message === undefined
      ? ''
      : `<p class="${message.error ? 'error' : 'notice'}" role="alert">${escapeHtml(message.text)}</p>`;
  if (session.status !== 'open') {
    const next = session.status === 'complete' ? successRedirect(session) : session.cancel_url;
    const link = next === null ? '' : `<p><a href="${escapeHtml(next)}">Continue</a></p>`;
    return layout(
      title,
      `<h1>${title}</h1>${banner}<p class="notice">This checkout session is ${escapeHtml(session.status ?? 'closed')}.</p>${link}`,
    );
  }
  const email = needsEmail(engine, session)
    ? '<label for="email">Email</label><input id="email" type="email" name="email" required autocomplete="email">'
    : `<p>Paying as <strong>${escapeHtml(session.customer_email ?? engine.store.customers.get(String(session.customer))?.email ?? '')}</strong></p>`;
  const cancel =
    session.cancel_url === null ? '' : `<p><a href="${escapeHtml(session.cancel_url)}">← Back</a></p>`;
  return layout(
    title,
    `${cancel}<h1>${title}</h1>${banner}${itemsTable(engine, session)}
<form method="post" action="/checkout/${escapeHtml(session.id)}">
${email}
<button class="pay" type="submit" name="action" value="pay">Pay</button>
<button class="alt" type="submit" name="action" value="decline">Decline (card declined)</button>
<button class="alt" type="submit" name="action" value="delayed">Pay with delayed method (bank debit)</button>
</form>`,
  );
}

function find(engine: Engine, id: string): Stripe.Checkout.Session | undefined {
  return engine.store.sessions.get(id);
}

export function checkoutPage(engine: Engine, sessionId: string): PageResponse {
  const session = find(engine, sessionId);
  if (session === undefined)
    return { status: 404, html: layout('Not found', '<h1>Checkout session not found</h1>') };
  return { status: 200, html: renderCheckout(engine, session) };
}

export function submitCheckout(engine: Engine, sessionId: string, form: FormObject): PageResponse {
  const session = find(engine, sessionId);
  if (session === undefined)
    return { status: 404, html: layout('Not found', '<h1>Checkout session not found</h1>') };
  const action = typeof form['action'] === 'string' ? form['action'] : '';
  const outcome = OUTCOMES[action];
  if (outcome === undefined) {
    return {
      status: 400,
      html: renderCheckout(engine, session, { error: true, text: 'Choose one of the buttons.' }),
    };
  }
  const email = typeof form['email'] === 'string' ? form['email'] : undefined;
  try {
    const result = completeCheckout(
      engine,
      session.id,
      email === undefined ? { outcome } : { outcome, email },
    );
    if (result.declined) {
      return {
        status: 402,
        html: renderCheckout(engine, session, {
          error: true,
          text: 'Your card was declined. Try again or use another payment method.',
        }),
      };
    }
    if (result.redirectUrl !== null) return { status: 303, redirect: result.redirectUrl };
    const text =
      outcome === 'delayed'
        ? 'Payment submitted. It will be confirmed in a few days.'
        : 'Payment complete. Thank you!';
    return { status: 200, html: layout('Thank you', `<h1>Thank you</h1><p class="notice">${text}</p>`) };
  } catch (error) {
    if (error instanceof SandboxActionError || error instanceof StripeApiError) {
      return { status: 400, html: renderCheckout(engine, session, { error: true, text: error.message }) };
    }
    throw error;
  }
}
