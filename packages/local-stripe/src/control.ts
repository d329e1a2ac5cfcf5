/**
 * The JSON control API under `/_sandbox/…` (Bearer secret key): the simulator, the clock and the
 * webhook switches, for the sandbox UI. Each route calls the same in-process method.
 */
import { z } from 'zod';
import type { SandboxClock } from './clock.js';
import type { Engine } from './engine/context.js';
import { Router } from './router.js';
import type { Simulator } from './simulator.js';
import type { WebhookDispatcher } from './webhooks.js';

export interface ControlDeps {
  engine: Engine;
  clock: SandboxClock;
  simulator: Simulator;
  dispatcher: WebhookDispatcher;
}

export type ControlHandler = (body: unknown, params: Record<string, string>, deps: ControlDeps) => unknown;

const SUBSCRIPTION_ACTIONS = {
  renew: (d: ControlDeps, id: string) => d.simulator.renew(id),
  fail_payment: (d: ControlDeps, id: string) => d.simulator.failPayment(id),
  recover_payment: (d: ControlDeps, id: string) => d.simulator.recoverPayment(id),
  decline_next_payment: (d: ControlDeps, id: string) => d.simulator.declineNextPayment(id),
  mark_unpaid: (d: ControlDeps, id: string) => d.simulator.markUnpaid(id),
  cancel_after_failures: (d: ControlDeps, id: string) => d.simulator.cancelAfterFailures(id),
  pause: (d: ControlDeps, id: string) => d.simulator.pause(id),
  resume: (d: ControlDeps, id: string) => d.simulator.resume(id),
  cancel_now: (d: ControlDeps, id: string) => d.simulator.cancelNow(id),
  trial_will_end: (d: ControlDeps, id: string) => d.simulator.trialWillEnd(id),
} as const;

const advanceBody = z.object({
  ms: z.number().nonnegative().optional(),
  days: z.number().nonnegative().optional(),
});
const flagBody = z.object({ value: z.boolean().default(true) });
const priceBody = z.object({ price: z.string().min(1) });
const targetBody = z.object({
  target: z.string().min(1),
  amount: z.number().int().positive().optional(),
  reason: z.string().optional(),
});
const closeBody = z.object({ outcome: z.enum(['won', 'lost']) });
const completeBody = z.object({
  outcome: z.enum(['paid', 'delayed', 'declined']),
  email: z.string().optional(),
});
const asyncBody = z.object({ succeeded: z.boolean() });
const endpointBody = z.object({
  url: z.url(),
  secret: z.string().optional(),
  enabled_events: z.array(z.string()).optional(),
});
const deliveryBody = z.object({
  duplicate: z.union([z.boolean(), z.number().min(0).max(1)]).optional(),
  reorder: z.boolean().optional(),
  delayMs: z.number().nonnegative().optional(),
  dropThenRedeliver: z.boolean().optional(),
  maxAttempts: z.number().int().positive().optional(),
  retryDelayMs: z.number().nonnegative().optional(),
  timeoutMs: z.number().positive().optional(),
});

function clockState(clock: SandboxClock): { now: number; offset_ms: number } {
  return { now: clock.nowSeconds(), offset_ms: clock.offset };
}

export function controlRouter(): Router<ControlHandler> {
  const router = new Router<ControlHandler>();
  router.add('GET', '/_sandbox/state', (_b, _p, d) => ({
    clock: clockState(d.clock),
    delivery: d.dispatcher.settings(),
    webhook_endpoints: d.dispatcher.endpoints(),
    counts: {
      customers: d.engine.store.customers.size,
      checkout_sessions: d.engine.store.sessions.size,
      subscriptions: d.engine.store.subscriptions.size,
      invoices: d.engine.store.invoices.size,
      events: d.engine.events.all().length,
    },
  }));
  router.add('GET', '/_sandbox/clock', (_b, _p, d) => clockState(d.clock));
  router.add('POST', '/_sandbox/clock/advance', (body, _p, d) => {
    const { ms, days } = advanceBody.parse(body);
    const summary = d.simulator.advanceClock((ms ?? 0) + (days ?? 0) * 86_400_000);
    return { ...clockState(d.clock), ...summary };
  });
  router.add('POST', '/_sandbox/process_due', (_b, _p, d) => d.simulator.processDue());
  router.add('POST', '/_sandbox/subscriptions/:id/cancel_at_period_end', (body, p, d) =>
    d.simulator.cancelAtPeriodEnd(p['id'] ?? '', flagBody.parse(body ?? {}).value),
  );
  router.add('POST', '/_sandbox/subscriptions/:id/change_plan', (body, p, d) =>
    d.simulator.changePlan(p['id'] ?? '', priceBody.parse(body).price),
  );
  router.add('POST', '/_sandbox/subscriptions/:id/:action', (_b, p, d) => {
    const action = p['action'] ?? '';
    if (!Object.hasOwn(SUBSCRIPTION_ACTIONS, action))
      throw new ControlNotFound(`unknown subscription action: ${action}`);
    return SUBSCRIPTION_ACTIONS[action as keyof typeof SUBSCRIPTION_ACTIONS](d, p['id'] ?? '');
  });
  router.add('POST', '/_sandbox/refunds', (body, _p, d) => {
    const { target, amount, reason } = targetBody.parse(body);
    const options: Parameters<Simulator['refund']>[1] = {};
    if (amount !== undefined) options.amount = amount;
    if (reason !== undefined) options.reason = reason;
    return d.simulator.refund(target, options);
  });
  router.add('POST', '/_sandbox/disputes', (body, _p, d) => {
    const { target, amount, reason } = targetBody.parse(body);
    const options: Parameters<Simulator['openDispute']>[1] = {};
    if (amount !== undefined) options.amount = amount;
    if (reason !== undefined) options.reason = reason;
    return d.simulator.openDispute(target, options);
  });
  router.add('POST', '/_sandbox/disputes/:id/close', (body, p, d) =>
    d.simulator.closeDispute(p['id'] ?? '', closeBody.parse(body).outcome),
  );
  router.add('POST', '/_sandbox/checkout/:id/complete', (body, p, d) => {
    const { outcome, email } = completeBody.parse(body);
    const result = d.simulator.completeCheckout(
      p['id'] ?? '',
      email === undefined ? { outcome } : { outcome, email },
    );
    return { session: result.session, redirect_url: result.redirectUrl, declined: result.declined };
  });
  router.add('POST', '/_sandbox/checkout/:id/async_payment', (body, p, d) =>
    asyncBody.parse(body).succeeded
      ? d.simulator.asyncPaymentSucceeded(p['id'] ?? '')
      : d.simulator.asyncPaymentFailed(p['id'] ?? ''),
  );
  router.add('POST', '/_sandbox/checkout/:id/expire', (_b, p, d) => d.simulator.expireSession(p['id'] ?? ''));
  router.add('GET', '/_sandbox/delivery', (_b, _p, d) => d.dispatcher.settings());
  router.add('POST', '/_sandbox/delivery', (body, _p, d) => {
    const parsed = deliveryBody.parse(body);
    const input: Parameters<WebhookDispatcher['set']>[0] = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (value !== undefined) Object.assign(input, { [key]: value });
    }
    return d.dispatcher.set(input);
  });
  router.add('POST', '/_sandbox/delivery/flush', async (_b, _p, d) => {
    await d.dispatcher.flush();
    return { flushed: true };
  });
  router.add('GET', '/_sandbox/webhook_endpoints', (_b, _p, d) => d.dispatcher.endpoints());
  router.add('POST', '/_sandbox/webhook_endpoints', (body, _p, d) => {
    const { url, secret, enabled_events } = endpointBody.parse(body);
    const options: { secret?: string; enabledEvents?: string[] } = {};
    if (secret !== undefined) options.secret = secret;
    if (enabled_events !== undefined) options.enabledEvents = enabled_events;
    return d.dispatcher.addEndpoint(url, options);
  });
  router.add('DELETE', '/_sandbox/webhook_endpoints/:id', (_b, p, d) => ({
    deleted: d.dispatcher.removeEndpoint(p['id'] ?? ''),
  }));
  router.add('GET', '/_sandbox/events/:id/attempts', (_b, p, d) => d.dispatcher.attempts(p['id'] ?? ''));
  router.add('POST', '/_sandbox/events/:id/redeliver', async (_b, p, d) => {
    if (d.engine.events.get(p['id'] ?? '') === undefined)
      throw new ControlNotFound(`no such event: ${p['id']}`);
    return d.dispatcher.redeliver(p['id'] ?? '');
  });
  return router;
}

export class ControlNotFound extends Error {}
