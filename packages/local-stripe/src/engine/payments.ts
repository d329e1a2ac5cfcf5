/** Money movements: payment intents and their charges, refunds, disputes. */
import type Stripe from 'stripe';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import {
  buildCharge,
  buildDispute,
  buildPaymentIntent,
  buildRefund,
  type PaymentMethodKind,
} from '../objects/payments.js';
import { SandboxActionError, type Engine } from './context.js';

export interface NewPaymentIntent {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  receiptEmail: string | null;
  method: PaymentMethodKind;
}

export function createPaymentIntent(engine: Engine, input: NewPaymentIntent): Stripe.PaymentIntent {
  const pi = buildPaymentIntent({
    id: newId('paymentIntent'),
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    description: input.description,
    metadata: input.metadata,
    paymentMethod: newId('paymentMethod'),
    methodKind: input.method,
    receiptEmail: input.receiptEmail,
    now: engine.clock.nowSeconds(),
  });
  engine.store.paymentIntents.set(pi.id, pi);
  engine.events.emit('payment_intent.created', pi);
  return pi;
}

export type ChargeOutcome = 'succeeded' | 'processing' | 'failed';

/** Confirms the intent with a new charge: paid now, processing (bank debit), or declined. */
export function chargePaymentIntent(
  engine: Engine,
  pi: Stripe.PaymentIntent,
  outcome: ChargeOutcome,
  billing: { email: string | null; name: string | null },
  method: PaymentMethodKind = 'card',
): Stripe.Charge {
  const now = engine.clock.nowSeconds();
  pi.payment_method = newId('paymentMethod');
  pi.payment_method_types = [method];
  const charge = buildCharge({
    id: newId('charge'),
    paymentIntent: pi,
    email: billing.email,
    name: billing.name,
    methodKind: method,
    status: outcome === 'processing' ? 'pending' : outcome,
    receiptUrl: `${engine.baseUrl()}/receipts/${pi.id}`,
    now,
  });
  engine.store.charges.set(charge.id, charge);
  pi.latest_charge = charge.id;
  switch (outcome) {
    case 'succeeded':
      pi.status = 'succeeded';
      pi.amount_received = pi.amount;
      pi.last_payment_error = null;
      engine.events.emit('charge.succeeded', charge);
      engine.events.emit('payment_intent.succeeded', pi);
      break;
    case 'processing':
      pi.status = 'processing';
      pi.processing = null;
      engine.events.emit('payment_intent.processing', pi);
      engine.events.emit('charge.pending', charge);
      break;
    case 'failed':
      declineIntent(pi, charge);
      engine.events.emit('charge.failed', charge);
      engine.events.emit('payment_intent.payment_failed', pi);
      break;
  }
  return charge;
}

function declineIntent(pi: Stripe.PaymentIntent, charge: Stripe.Charge): void {
  pi.status = 'requires_payment_method';
  pi.last_payment_error = {
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
    charge: charge.id,
  };
}

/** The outcome of a delayed (bank debit) payment arrives: the pending charge succeeds or fails. */
export function settlePaymentIntent(
  engine: Engine,
  pi: Stripe.PaymentIntent,
  succeeded: boolean,
): Stripe.Charge {
  if (pi.status !== 'processing' || typeof pi.latest_charge !== 'string') {
    throw new SandboxActionError(`payment intent ${pi.id} is not processing`);
  }
  const charge = engine.store.charge(pi.latest_charge);
  if (succeeded) {
    charge.status = 'succeeded';
    charge.paid = true;
    charge.captured = true;
    charge.amount_captured = charge.amount;
    charge.balance_transaction = `txn_${charge.id.slice(3)}`;
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    engine.events.emit('charge.succeeded', charge);
    engine.events.emit('payment_intent.succeeded', pi);
  } else {
    charge.status = 'failed';
    charge.failure_code = 'insufficient_funds';
    charge.failure_message = 'The account has insufficient funds to cover this payment.';
    declineIntent(pi, charge);
    engine.events.emit('charge.failed', charge);
    engine.events.emit('payment_intent.payment_failed', pi);
  }
  return charge;
}

/** The charge behind a payment intent, charge or paid invoice id. */
export function chargeFor(engine: Engine, id: string, param = 'charge'): Stripe.Charge {
  if (id.startsWith('ch_')) return engine.store.charge(id, param);
  let piId = id;
  if (id.startsWith('in_')) {
    const payment = [...engine.store.invoicePayments.values()].find((p) => p.invoice === id);
    if (payment === undefined || payment.payment.payment_intent === undefined) {
      throw invalidRequest(`Invoice ${id} has no payment.`, undefined, param);
    }
    const ref = payment.payment.payment_intent;
    piId = typeof ref === 'string' ? ref : ref.id;
  }
  const pi = engine.store.paymentIntent(piId, param);
  if (typeof pi.latest_charge !== 'string') {
    throw invalidRequest(`PaymentIntent ${pi.id} has no charge to act on.`, undefined, param);
  }
  return engine.store.charge(pi.latest_charge, param);
}

export interface RefundRequest {
  charge: Stripe.Charge;
  amount?: number;
  reason?: Stripe.Refund.Reason;
  metadata?: Record<string, string>;
}

export function refundCharge(engine: Engine, request: RefundRequest): Stripe.Refund {
  const charge = request.charge;
  if (charge.status !== 'succeeded') {
    throw invalidRequest(
      `Charge ${charge.id} has not succeeded and cannot be refunded.`,
      undefined,
      'charge',
    );
  }
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0 || charge.refunded) {
    throw invalidRequest(
      `Charge ${charge.id} has already been refunded.`,
      'charge_already_refunded',
      'charge',
    );
  }
  const amount = request.amount ?? remaining;
  if (amount <= 0)
    throw invalidRequest('Refund amount must be positive.', 'parameter_invalid_integer', 'amount');
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
      'amount_too_large',
      'amount',
    );
  }
  const refund = buildRefund({
    id: newId('refund'),
    charge,
    amount,
    reason: request.reason ?? null,
    metadata: request.metadata ?? {},
    now: engine.clock.nowSeconds(),
  });
  engine.store.refunds.set(refund.id, refund);
  charge.amount_refunded += amount;
  // Charge.refunded is true only once the whole amount is refunded.
  charge.refunded = charge.amount_refunded >= charge.amount;
  engine.events.emit('refund.created', refund);
  engine.events.emit('charge.refunded', charge);
  return refund;
}

export function openDispute(
  engine: Engine,
  charge: Stripe.Charge,
  options: { amount?: number; reason?: string } = {},
): Stripe.Dispute {
  if (charge.status !== 'succeeded') throw new SandboxActionError(`charge ${charge.id} was not paid`);
  if (charge.disputed) throw new SandboxActionError(`charge ${charge.id} is already disputed`);
  const dispute = buildDispute({
    id: newId('dispute'),
    charge,
    amount: options.amount ?? charge.amount - charge.amount_refunded,
    reason: options.reason ?? 'fraudulent',
    now: engine.clock.nowSeconds(),
  });
  engine.store.disputes.set(dispute.id, dispute);
  charge.disputed = true;
  engine.events.emit('charge.dispute.created', dispute);
  engine.events.emit('charge.dispute.funds_withdrawn', dispute);
  return dispute;
}

export function closeDispute(
  engine: Engine,
  dispute: Stripe.Dispute,
  outcome: 'won' | 'lost',
): Stripe.Dispute {
  if (dispute.status === 'won' || dispute.status === 'lost' || dispute.status === 'warning_closed') {
    throw new SandboxActionError(`dispute ${dispute.id} is already closed (${dispute.status})`);
  }
  dispute.status = outcome;
  dispute.evidence_details.submission_count = Math.max(1, dispute.evidence_details.submission_count);
  dispute.evidence_details.has_evidence = true;
  engine.events.emit('charge.dispute.closed', dispute);
  if (outcome === 'won') engine.events.emit('charge.dispute.funds_reinstated', dispute);
  return dispute;
}
