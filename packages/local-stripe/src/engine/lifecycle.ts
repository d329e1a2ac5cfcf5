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
const MAX_PASSES = 10_000;

export interface DueSummary {
  renewals: number;
  cancellations: number;
  expiredSessions: number;
  trialWarnings: number;
}

interface DueAction {
  at: number;
  run(summary: DueSummary): void;
}

export function emptySummary(): DueSummary {
  return { renewals: 0, cancellations: 0, expiredSessions: 0, trialWarnings: 0 };
}

/**
 * Runs everything that has come due by the clock's now. Each pass takes the earliest due action of
 * every session and subscription (they do not affect one another) in time order; passes repeat
 * until nothing is due, so a long jump renews a subscription once per period it crossed.
 */
export function processDue(engine: Engine): DueSummary {
  const summary = emptySummary();
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const now = engine.clock.nowSeconds();
    const due: DueAction[] = [];
    for (const session of engine.store.sessions.values()) {
      if (session.status === 'open' && session.expires_at <= now) {
        due.push({
          at: session.expires_at,
          run: (s) => {
            expireSession(engine, session);
            s.expiredSessions += 1;
          },
        });
      }
    }
    for (const sub of engine.store.subscriptions.values()) {
      const action = subscriptionDue(engine, sub);
      if (action !== null && action.at <= now) due.push(action);
    }
    if (due.length === 0) return summary;
    due.sort((a, b) => a.at - b.at);
    for (const action of due) action.run(summary);
  }
  throw new Error('processDue did not converge');
}

/** The next thing Stripe will do to this subscription on its own, or null. */
function subscriptionDue(engine: Engine, sub: Stripe.Subscription): DueAction | null {
  if (sub.status !== 'active' && sub.status !== 'trialing') return null;
  const plan = engine.store.subscriptionPlan(sub.id);
  if (sub.status === 'trialing' && sub.trial_end !== null && !plan.trialWillEndSent) {
    return { at: sub.trial_end - TRIAL_WARNING, run: (s) => warnTrialEnd(engine, sub, s) };
  }
  const end = periodOf(sub).end;
  if (sub.cancel_at !== null && sub.cancel_at <= end) {
    const at = sub.cancel_at;
    return {
      at,
      run: (s) => {
        endSubscription(engine, sub, 'cancellation_requested', at);
        s.cancellations += 1;
      },
    };
  }
  return {
    at: end,
    run: (s) => {
      renewSubscription(engine, sub);
      s.renewals += 1;
    },
  };
}

function warnTrialEnd(engine: Engine, sub: Stripe.Subscription, summary: DueSummary): void {
  engine.store.subscriptionPlan(sub.id).trialWillEndSent = true;
  engine.events.emit('customer.subscription.trial_will_end', sub);
  summary.trialWarnings += 1;
}

/**
 * Ends this subscription's current period now, as if its end had been reached, leaving the clock
 * and every other object alone: a pending trial warning is sent, then the subscription renews
 * (a trial ends) or, if it was set to cancel by then, ends.
 */
export function endCurrentPeriod(engine: Engine, sub: Stripe.Subscription): DueSummary {
  const summary = emptySummary();
  if (
    sub.status === 'trialing' &&
    sub.trial_end !== null &&
    !engine.store.subscriptionPlan(sub.id).trialWillEndSent
  ) {
    warnTrialEnd(engine, sub, summary);
  }
  if (sub.cancel_at !== null && sub.cancel_at <= periodOf(sub).end) {
    endSubscription(
      engine,
      sub,
      'cancellation_requested',
      Math.min(sub.cancel_at, engine.clock.nowSeconds()),
    );
    summary.cancellations += 1;
  } else {
    renewSubscription(engine, sub);
    summary.renewals += 1;
  }
  return summary;
}
