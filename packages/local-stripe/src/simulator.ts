/**
 * The simulator: the things that happen at Stripe without an API call from the merchant
 * (renewals, declines, refunds and disputes made elsewhere, buyers acting in Checkout or the
 * portal), each emitting the events Stripe would, in Stripe's order.
 */
import type Stripe from 'stripe';
import { periodOf } from './engine/billing.js';
import {
  completeCheckout,
  expireSession,
  settleAsyncPayment,
  type CheckoutResult,
  type CompleteCheckoutInput,
} from './engine/checkout.js';
import { SandboxActionError, type Engine } from './engine/context.js';
import { endCurrentPeriod, processDue, type DueSummary } from './engine/lifecycle.js';
import { chargeFor, closeDispute, openDispute, refundCharge } from './engine/payments.js';
import * as subs from './engine/subscriptions.js';

export class Simulator {
  constructor(private readonly engine: Engine) {}

  private sub(id: string): Stripe.Subscription {
    return this.engine.store.subscription(id);
  }

  /**
   * Ends this subscription's current period now: one paid renewal (items move to the next period,
   * a trial ends), or the end of the subscription if it was set to cancel by then. The clock and
   * other subscriptions are left alone; use advanceClock to move time for everything.
   */
  renew(subscriptionId: string): Stripe.Subscription {
    const sub = this.sub(subscriptionId);
    if (sub.status !== 'active' && sub.status !== 'trialing') {
      throw new SandboxActionError(`cannot renew subscription ${sub.id}: its status is ${sub.status}`);
    }
    endCurrentPeriod(this.engine, sub);
    return sub;
  }

  /**
   * The next charge is declined. On an active or trialing subscription the renewal (as in renew)
   * fails (→ past_due); on a past_due/unpaid one another retry of the open invoice fails.
   */
  failPayment(subscriptionId: string): Stripe.Subscription {
    const sub = this.sub(subscriptionId);
    if (sub.status === 'past_due' || sub.status === 'unpaid') return subs.retryFails(this.engine, sub);
    if (sub.status !== 'active' && sub.status !== 'trialing') {
      throw new SandboxActionError(
        `cannot fail a payment of subscription ${sub.id}: its status is ${sub.status}`,
      );
    }
    if (sub.cancel_at !== null && sub.cancel_at <= periodOf(sub).end) {
      throw new SandboxActionError(`subscription ${sub.id} ends at period end; there is no renewal to fail`);
    }
    this.engine.store.subscriptionPlan(sub.id).failNextPayment = true;
    return this.renew(subscriptionId);
  }

  /**
   * The subscription's next charge is declined, whatever causes it: a renewal, a plan change
   * invoiced now (`always_invoice`), or paying an open invoice. Nothing else happens now.
   */
  declineNextPayment(subscriptionId: string): Stripe.Subscription {
    const sub = this.sub(subscriptionId);
    this.engine.store.subscriptionPlan(sub.id).failNextPayment = true;
    return sub;
  }

  /** The open invoice is paid after all: past_due/unpaid → active. */
  recoverPayment(subscriptionId: string): Stripe.Subscription {
    return subs.recoverPayment(this.engine, this.sub(subscriptionId));
  }

  markUnpaid(subscriptionId: string): Stripe.Subscription {
    return subs.markUnpaid(this.engine, this.sub(subscriptionId));
  }

  cancelAfterFailures(subscriptionId: string): Stripe.Subscription {
    return subs.cancelAfterFailures(this.engine, this.sub(subscriptionId));
  }

  pause(subscriptionId: string): Stripe.Subscription {
    return subs.pause(this.engine, this.sub(subscriptionId));
  }

  resume(subscriptionId: string): Stripe.Subscription {
    return subs.resume(this.engine, this.sub(subscriptionId));
  }

  cancelAtPeriodEnd(subscriptionId: string, value = true): Stripe.Subscription {
    return subs.setCancelAtPeriodEnd(this.engine, this.sub(subscriptionId), value);
  }

  cancelNow(subscriptionId: string): Stripe.Subscription {
    return subs.cancelNow(this.engine, this.sub(subscriptionId));
  }

  changePlan(subscriptionId: string, priceId: string): Stripe.Subscription {
    return subs.changePlan(this.engine, this.sub(subscriptionId), this.engine.store.price(priceId, 'price'));
  }

  /** Sends `customer.subscription.trial_will_end` now (Stripe sends it 3 days before trial end). */
  trialWillEnd(subscriptionId: string): Stripe.Subscription {
    const sub = this.sub(subscriptionId);
    if (sub.status !== 'trialing') throw new SandboxActionError(`subscription ${sub.id} is not trialing`);
    this.engine.store.subscriptionPlan(sub.id).trialWillEndSent = true;
    this.engine.events.emit('customer.subscription.trial_will_end', sub);
    return sub;
  }

  /** Refunds a payment (`pi_…`, `ch_…` or a paid `in_…`), fully or by `amount`. */
  refund(target: string, options: { amount?: number; reason?: Stripe.Refund.Reason } = {}): Stripe.Refund {
    const request: Parameters<typeof refundCharge>[1] = { charge: chargeFor(this.engine, target) };
    if (options.amount !== undefined) request.amount = options.amount;
    if (options.reason !== undefined) request.reason = options.reason;
    return refundCharge(this.engine, request);
  }

  openDispute(target: string, options: { amount?: number; reason?: string } = {}): Stripe.Dispute {
    return openDispute(this.engine, chargeFor(this.engine, target), options);
  }

  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Stripe.Dispute {
    return closeDispute(this.engine, this.engine.store.dispute(disputeId), outcome);
  }

  completeCheckout(sessionId: string, input: CompleteCheckoutInput): CheckoutResult {
    return completeCheckout(this.engine, sessionId, input);
  }

  asyncPaymentSucceeded(sessionId: string): Stripe.Checkout.Session {
    return settleAsyncPayment(this.engine, sessionId, true);
  }

  asyncPaymentFailed(sessionId: string): Stripe.Checkout.Session {
    return settleAsyncPayment(this.engine, sessionId, false);
  }

  expireSession(sessionId: string): Stripe.Checkout.Session {
    return expireSession(this.engine, this.engine.store.session(sessionId));
  }

  /** Sandbox time travel: moves the clock and runs every renewal, trial warning, cancellation and expiry due. */
  advanceClock(ms: number): DueSummary {
    this.engine.clock.advance(ms);
    return processDue(this.engine);
  }

  /** Runs whatever is due at the current time (also run periodically by the server). */
  processDue(): DueSummary {
    return processDue(this.engine);
  }
}
