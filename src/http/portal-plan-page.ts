import type { PlanChoices } from '../app/portal/plan-change.js';
import { formatPrice } from '../app/catalog/offer-text.js';
import { escapeHtml as esc } from '../core/html.js';
import { action } from './portal-pages.js';

/** The portal's "Change plan" page (decision 0022): the current plan and one form per plan offered. */

const KIND_WORDS = {
  upgrade: 'Upgrade',
  downgrade: 'Downgrade',
  switch: 'Same plan, other billing',
} as const;

export function planChoicesBody(choices: PlanChoices, csrf: string): string {
  const current = choices.current.price
    ? `${choices.current.entitlementName} — ${formatPrice(choices.current.price)}`
    : choices.current.entitlementName;
  const options = choices.options.length
    ? choices.options
        .map((o, i) => {
          const id = `plan-${i}`;
          return (
            `<article class="card" aria-labelledby="${id}"><p class="muted">${esc(KIND_WORDS[o.kind])}</p>` +
            `<h3 id="${id}">${esc(o.entitlementName)}</h3><p class="state">${esc(formatPrice(o.price))}</p>` +
            action(csrf, '/portal/plan', `Switch to ${o.entitlementName}, ${formatPrice(o.price)}`, {
              grant_id: choices.grantId,
              price_id: o.price.id,
            }) +
            '</article>'
          );
        })
        .join('')
    : '<p>No other plan is offered for this purchase.</p>';
  return (
    '<h1>Change plan</h1>' +
    `<p>Your plan now: <strong>${esc(current)}</strong></p>` +
    '<p class="muted">You pay the difference for the rest of this billing period now (with a credit for the unused ' +
    'time of your current plan). Your roles change once that payment goes through; if it does not, nothing changes.</p>' +
    options +
    '<p><a href="/portal">Back to your purchases</a></p>'
  );
}
