/**
 * The local Stripe: a stateful HTTP server that the official `stripe` package talks to unchanged
 * (`new Stripe(secretKey, { host, port, protocol: 'http' })`), with hosted Checkout and portal
 * pages, signed webhooks, and a simulator for everything Stripe does on its own.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Stripe from 'stripe';
import { SandboxClock, systemClock, type Clock } from './clock.js';
import { controlRouter } from './control.js';
import type { CheckoutResult, CompleteCheckoutInput } from './engine/checkout.js';
import type { Engine } from './engine/context.js';
import type { DueSummary } from './engine/lifecycle.js';
import { EventLog } from './events.js';
import { FaultInjector, type FaultOptions } from './faults.js';
import { IdempotencyCache } from './idempotency.js';
import { randomToken } from './ids.js';
import { Router, type HttpMethod } from './router.js';
import { registerBillingRoutes } from './routes/billing.js';
import { registerCatalogRoutes } from './routes/catalog.js';
import { registerCheckoutRoutes } from './routes/checkout.js';
import { registerCustomerRoutes } from './routes/customers.js';
import { registerEventRoutes } from './routes/events.js';
import { registerPaymentRoutes } from './routes/payments.js';
import { registerSubscriptionRoutes } from './routes/subscriptions.js';
import { registerWebhookEndpointRoutes } from './routes/webhook-endpoints.js';
import { createRequestHandler } from './server.js';
import { Simulator } from './simulator.js';
import { StripeStore } from './state.js';
import type { DeliveryTimers } from './timers.js';
import {
  WebhookDispatcher,
  type DeliveryAttempt,
  type DeliverySettings,
  type DeliverySettingsInput,
  type EndpointOptions,
  type WebhookEndpointInfo,
} from './webhooks.js';

export { API_VERSION } from './events.js';
export { SandboxActionError } from './engine/context.js';
export type { CheckoutResult, CompleteCheckoutInput, CheckoutOutcome } from './engine/checkout.js';
export type { DueSummary } from './engine/lifecycle.js';
export type { Clock } from './clock.js';
export type {
  DeliveryAttempt,
  DeliverySettings,
  DeliverySettingsInput,
  EndpointOptions,
  WebhookEndpointInfo,
} from './webhooks.js';
export { Simulator } from './simulator.js';
export { ManualTimers, type DeliveryTimers } from './timers.js';
export { seedCatalog, type SeededCatalog } from './seed.js';

export interface LocalStripeOptions {
  /** The only API key accepted. Default: a random `sk_test_local_…`. */
  secretKey?: string;
  /** The base of the sandbox clock (milliseconds). Default: real time. */
  clock?: Clock;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** Base URL put in Checkout/portal `url`s when the server is reached through a proxy. Default: its own address. */
  publicUrl?: string;
  /** Initial webhook delivery settings (see `DeliverySettings` for defaults). */
  delivery?: DeliverySettingsInput;
  /** Clock for the `t=` of webhook signatures: the receiver checks it against its own time. Default: real time. */
  signingClock?: Clock;
  /** What webhook delivery waits on (the `delayMs` hold, retry backoff). Default: real timers; tests pass a `ManualTimers`. */
  deliveryTimers?: DeliveryTimers;
  /** How often due renewals, trial warnings and session expiries are run in the background; null turns it off. Default 1000 ms. */
  sweepIntervalMs?: number | null;
}

export interface LocalStripeClock {
  /** Sandbox time, milliseconds. */
  now(): number;
  nowSeconds(): number;
  /** Time travel: moves the sandbox clock forward and runs everything that came due. */
  advance(ms: number): DueSummary;
}

export interface LocalStripe {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly secretKey: string;
  /** Options for `new Stripe(secretKey, stripeConfig)`. */
  readonly stripeConfig: { host: string; port: number; protocol: 'http' };
  readonly clock: LocalStripeClock;
  readonly simulator: Simulator;
  readonly delivery: {
    set(input: DeliverySettingsInput): DeliverySettings;
    get(): DeliverySettings;
    reset(): DeliverySettings;
  };
  /** Events are POSTed here, signed with the returned `secret` (`whsec_…`). */
  addWebhookEndpoint(url: string, options?: EndpointOptions): WebhookEndpointInfo;
  removeWebhookEndpoint(idOrUrl: string): boolean;
  webhookEndpoints(): WebhookEndpointInfo[];
  /** Resolves when every pending delivery, retry and redelivery has run. */
  flushDeliveries(): Promise<void>;
  /** Sends an event again now (to one endpoint, or to every endpoint it was meant for). */
  redeliver(eventId: string, endpointId?: string): Promise<DeliveryAttempt[]>;
  deliveryAttempts(eventId?: string): DeliveryAttempt[];
  /** Same as the buttons of the hosted Checkout page. */
  completeCheckout(sessionId: string, input: CompleteCheckoutInput): CheckoutResult;
  /** Answers the next matching API requests with an error (default: one 500), for tests of retries. */
  failNext(method: HttpMethod, path: RegExp, options?: FaultOptions): void;
  /** Every event so far, oldest first. */
  events(): readonly Stripe.Event[];
  close(): Promise<void>;
}

export async function startLocalStripe(options: LocalStripeOptions = {}): Promise<LocalStripe> {
  const secretKey = options.secretKey ?? `sk_test_local_${randomToken(24)}`;
  const clock = new SandboxClock(options.clock ?? systemClock);
  const store = new StripeStore();
  const events = new EventLog(clock);
  const dispatcher = new WebhookDispatcher(
    events,
    options.signingClock ?? systemClock,
    options.delivery ?? {},
    Math.random,
    options.deliveryTimers,
  );
  let baseUrl = options.publicUrl?.replace(/\/$/, '') ?? '';
  const engine: Engine = { store, events, clock, baseUrl: () => baseUrl };
  const simulator = new Simulator(engine);

  const faults = new FaultInjector();
  const api = new Router();
  registerCatalogRoutes(api);
  registerCustomerRoutes(api);
  registerCheckoutRoutes(api);
  registerSubscriptionRoutes(api);
  registerBillingRoutes(api);
  registerPaymentRoutes(api);
  registerEventRoutes(api);
  registerWebhookEndpointRoutes(api, dispatcher);

  const server = createServer(
    createRequestHandler({
      secretKey,
      api,
      control: controlRouter(),
      idempotency: new IdempotencyCache(clock),
      faults,
      engine,
      clock,
      simulator,
      dispatcher,
    }),
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  if (baseUrl === '') baseUrl = url;

  const interval = options.sweepIntervalMs === undefined ? 1000 : options.sweepIntervalMs;
  const sweep =
    interval === null
      ? null
      : setInterval(() => {
          try {
            simulator.processDue();
          } catch {
            // A failing sweep must not take the server down; the next request runs it again.
          }
        }, interval);
  sweep?.unref();

  return {
    url,
    host,
    port,
    secretKey,
    stripeConfig: { host, port, protocol: 'http' },
    clock: {
      now: () => clock.now(),
      nowSeconds: () => clock.nowSeconds(),
      advance: (ms) => simulator.advanceClock(ms),
    },
    simulator,
    delivery: {
      set: (input) => dispatcher.set(input),
      get: () => dispatcher.settings(),
      reset: () => dispatcher.reset(),
    },
    addWebhookEndpoint: (endpointUrl, endpointOptions) =>
      dispatcher.addEndpoint(endpointUrl, endpointOptions),
    removeWebhookEndpoint: (idOrUrl) => dispatcher.removeEndpoint(idOrUrl),
    webhookEndpoints: () => dispatcher.endpoints(),
    flushDeliveries: () => dispatcher.flush(),
    redeliver: (eventId, endpointId) => dispatcher.redeliver(eventId, endpointId),
    deliveryAttempts: (eventId) => dispatcher.attempts(eventId),
    completeCheckout: (sessionId, input) => simulator.completeCheckout(sessionId, input),
    failNext: (method, path, options) => faults.add(method, path, options),
    events: () => events.all(),
    close: async () => {
      if (sweep !== null) clearInterval(sweep);
      dispatcher.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
export { signPayload } from './webhooks.js';
