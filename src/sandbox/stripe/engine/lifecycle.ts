/**
 * What Stripe does by itself as time passes: expire Checkout Sessions, warn before a trial ends,
 * renew subscriptions at period end (ending a trial), and end scheduled cancellations.
 */
import type Stripe from 'stripe';
import { endSubscription, periodOf, renewSubscription } from './billing.js';
import type { Engine } from './context.js';
import { expireSession } from './checkout.js';

const TRIAL_WARNING = 3 * 86_400;
// A safety net against a loop that never converges (e.g. a zero-length period).
const MAX_STEPS = 10_000;

export interface DueSummary {
  renewals: number;
  cancellations: number;
  expiredSessions: number;
  trialWarnings: number;
}

/** Runs, in time order, everything that has come due by the clock's now. */
export function processDue(engine: Engine): DueSummary {
  const summary: DueSummary = { renewals: 0, cancellations: 0, expiredSessions: 0, trialWarnings: 0 };
  for (let step = 0; step < MAX_STEPS; step++) {
    const next = nextDue(engine);
    if (next === null) return summary;
    next.run(summary);
  }
  throw new Error('processDue did not converge');
}

interface DueAction {
  at: number;
  run(summary: DueSummary): void;
}

function nextDue(engine: Engine): DueAction | null {
  const now = engine.clock.nowSeconds();
  let best: DueAction | null = null;
  const consider = (action: DueAction): void => {
    if (action.at <= now && (best === null || action.at < best.at)) best = action;
  };
  for (const session of engine.store.sessions.values()) {
    if (session.status !== 'open') continue;
    consider({
      at: session.expires_at,
      run: (s) => {
        expireSession(engine, session);
        s.expiredSessions += 1;
      },
    });
  }
  for (const sub of engine.store.subscriptions.values()) {
    const action = subscriptionDue(engine, sub);
    if (action !== null) consider(action);
  }
  return best;
}

function subscriptionDue(engine: Engine, sub: Stripe.Subscription): DueAction | null {
  if (sub.status !== 'active' && sub.status !== 'trialing') return null;
  const plan = engine.store.subscriptionPlan(sub.id);
  const end = periodOf(sub).end;
  const actions: DueAction[] = [];
  if (sub.status === 'trialing' && sub.trial_end !== null && !plan.trialWillEndSent) {
    actions.push({
      at: sub.trial_end - TRIAL_WARNING,
      run: (s) => {
        plan.trialWillEndSent = true;
        engine.events.emit('customer.subscription.trial_will_end', sub);
        s.trialWarnings += 1;
      },
    });
  }
  if (sub.cancel_at !== null && sub.cancel_at <= end) {
    const at = sub.cancel_at;
    actions.push({
      at,
      run: (s) => {
        endSubscription(engine, sub, 'cancellation_requested', at);
        s.cancellations += 1;
      },
    });
  } else {
    actions.push({
      at: end,
      run: (s) => {
        renewSubscription(engine, sub);
        s.renewals += 1;
      },
    });
  }
  return actions.reduce<DueAction | null>((a, b) => (a === null || b.at < a.at ? b : a), null);
}
