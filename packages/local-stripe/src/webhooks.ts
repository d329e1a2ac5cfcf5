/**
 * Webhook delivery: POSTs each event to every endpoint, signed like Stripe
 * (`Stripe-Signature: t=…,v1=HMAC-SHA256(secret, "${t}.${body}")`), retries non-2xx answers with
 * exponential backoff, and can misbehave on purpose (duplicates, reordering, delays, a dropped
 * first attempt) so the receiver's at-least-once / no-ordering handling gets exercised.
 */
import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import type { Clock } from './clock.js';
import type { EventLog } from './events.js';
import { newId, randomToken } from './ids.js';
import { realTimers, type DeliveryTimers } from './timers.js';

export interface DeliverySettings {
  /** Chance in [0, 1] that a delivered event is sent a second time; `true` is 1. Default 0. */
  duplicate: number;
  /** Shuffle each batch of events (those emitted together, or within `delayMs`). Default false. */
  reorder: boolean;
  /** Hold events this long before sending; everything emitted meanwhile is one batch. Default 0. */
  delayMs: number;
  /** Skip the first attempt of every event; it arrives later as a redelivery. Default false. */
  dropThenRedeliver: boolean;
  /** Attempts per event and endpoint, the first included. Default 4 (Stripe's sandbox retries 3 times). */
  maxAttempts: number;
  /** Delay before the first retry, doubled for each further one. Default 250 ms. */
  retryDelayMs: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs: number;
}

export type DeliverySettingsInput = Partial<Omit<DeliverySettings, 'duplicate'>> & {
  duplicate?: number | boolean;
};

export const DEFAULT_DELIVERY: DeliverySettings = {
  duplicate: 0,
  reorder: false,
  delayMs: 0,
  dropThenRedeliver: false,
  maxAttempts: 4,
  retryDelayMs: 250,
  timeoutMs: 10_000,
};

export interface WebhookEndpointInfo {
  id: string;
  url: string;
  secret: string;
  /** Event types sent to this endpoint; `['*']` is all. */
  enabledEvents: string[];
  /** Unix seconds. */
  created: number;
  description: string | null;
  metadata: Record<string, string>;
  /** A disabled endpoint receives nothing (Stripe's `status`). */
  status: 'enabled' | 'disabled';
  /** The API version its events are rendered in; null = the account's. */
  apiVersion: string | null;
}

export interface EndpointOptions {
  secret?: string;
  enabledEvents?: string[];
  description?: string | null;
  metadata?: Record<string, string>;
  apiVersion?: string | null;
  /** Unix seconds; default now. */
  created?: number;
}

export type EndpointUpdate = Partial<
  Pick<WebhookEndpointInfo, 'url' | 'enabledEvents' | 'description' | 'metadata' | 'status'>
>;

export interface DeliveryAttempt {
  eventId: string;
  endpointId: string;
  attempt: number;
  /** Wall-clock milliseconds. */
  at: number;
  /** HTTP status, or null when nothing was received (dropped on purpose, network error, timeout). */
  status: number | null;
  ok: boolean;
  error: string | null;
  kind: 'first' | 'retry' | 'duplicate' | 'dropped' | 'manual';
}

interface Target {
  delivered: boolean;
  attempts: number;
}

export function signPayload(payload: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export class WebhookDispatcher {
  private readonly endpointsById = new Map<string, WebhookEndpointInfo>();
  private readonly targets = new Map<string, Map<string, Target>>();
  private readonly log: DeliveryAttempt[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly waits = new Set<{ cancel: () => void; wake: () => void }>();
  private current: DeliverySettings = { ...DEFAULT_DELIVERY };
  private batch: Stripe.Event[] = [];
  private batchScheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly events: EventLog,
    private readonly signingClock: Clock,
    settings: DeliverySettingsInput = {},
    private readonly random: () => number = Math.random,
    private readonly timers: DeliveryTimers = realTimers,
  ) {
    this.set(settings);
    events.onEvent((event) => this.enqueue(event));
  }

  addEndpoint(url: string, options: EndpointOptions = {}): WebhookEndpointInfo {
    checkUrl(url);
    const endpoint: WebhookEndpointInfo = {
      id: newId('webhookEndpoint'),
      url,
      secret: options.secret ?? `whsec_${randomToken(32)}`,
      enabledEvents: options.enabledEvents ?? ['*'],
      created: options.created ?? Math.floor(Date.now() / 1000),
      description: options.description ?? null,
      metadata: options.metadata ?? {},
      status: 'enabled',
      apiVersion: options.apiVersion ?? null,
    };
    this.endpointsById.set(endpoint.id, endpoint);
    return endpoint;
  }

  endpoint(id: string): WebhookEndpointInfo | undefined {
    return this.endpointsById.get(id);
  }

  updateEndpoint(id: string, update: EndpointUpdate): WebhookEndpointInfo | undefined {
    const endpoint = this.endpointsById.get(id);
    if (endpoint === undefined) return undefined;
    if (update.url !== undefined) checkUrl(update.url);
    Object.assign(endpoint, update);
    return endpoint;
  }

  removeEndpoint(idOrUrl: string): boolean {
    for (const endpoint of this.endpointsById.values()) {
      if (endpoint.id === idOrUrl || endpoint.url === idOrUrl) return this.endpointsById.delete(endpoint.id);
    }
    return false;
  }

  endpoints(): WebhookEndpointInfo[] {
    return [...this.endpointsById.values()];
  }

  settings(): DeliverySettings {
    return { ...this.current };
  }

  set(input: DeliverySettingsInput): DeliverySettings {
    const next = { ...this.current };
    if (input.duplicate !== undefined) {
      const p = input.duplicate === true ? 1 : input.duplicate === false ? 0 : input.duplicate;
      if (!(p >= 0 && p <= 1)) throw new RangeError('duplicate must be a probability in [0, 1] or a boolean');
      next.duplicate = p;
    }
    if (input.reorder !== undefined) next.reorder = input.reorder;
    if (input.dropThenRedeliver !== undefined) next.dropThenRedeliver = input.dropThenRedeliver;
    for (const key of ['delayMs', 'maxAttempts', 'retryDelayMs', 'timeoutMs'] as const) {
      const value = input[key];
      if (value === undefined) continue;
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be a non-negative number`);
      next[key] = key === 'maxAttempts' ? Math.max(1, Math.floor(value)) : value;
    }
    this.current = next;
    return this.settings();
  }

  reset(): DeliverySettings {
    this.current = { ...DEFAULT_DELIVERY };
    return this.settings();
  }

  /** Every attempt so far (optionally for one event), oldest first. */
  attempts(eventId?: string): DeliveryAttempt[] {
    return this.log.filter((a) => eventId === undefined || a.eventId === eventId);
  }

  /** Resolves once nothing is waiting: batches, retries and redeliveries have all run. */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Sends the event again now, to one endpoint or to every endpoint it was meant for. */
  async redeliver(eventId: string, endpointId?: string): Promise<DeliveryAttempt[]> {
    const event = this.events.get(eventId);
    if (event === undefined) throw new Error(`no such event: ${eventId}`);
    const known = this.targets.get(eventId);
    const ids = endpointId !== undefined ? [endpointId] : known !== undefined ? [...known.keys()] : [];
    const endpoints = ids.flatMap((id) => {
      const endpoint = this.endpointsById.get(id);
      return endpoint === undefined ? [] : [endpoint];
    });
    return Promise.all(endpoints.map((endpoint) => this.send(event, endpoint, 'manual')));
  }

  /** Stops timers; pending retries are abandoned. */
  close(): void {
    this.closed = true;
    for (const entry of this.waits) {
      entry.cancel();
      entry.wake();
    }
    this.waits.clear();
  }

  private enqueue(event: Stripe.Event): void {
    const targets = new Map<string, Target>();
    for (const endpoint of this.endpointsById.values()) {
      if (accepts(endpoint, event.type)) targets.set(endpoint.id, { delivered: false, attempts: 0 });
    }
    this.targets.set(event.id, targets);
    event.pending_webhooks = targets.size;
    if (targets.size === 0 || this.closed) return;
    this.batch.push(event);
    if (this.batchScheduled) return;
    this.batchScheduled = true;
    this.track(
      this.sleep(this.current.delayMs).then(() => {
        const events = this.batch;
        this.batch = [];
        this.batchScheduled = false;
        // Batches go out one after another so that, without `reorder`, events arrive in order.
        const run = this.chain.then(() => this.sendBatch(events));
        this.chain = run;
        return run;
      }),
    );
  }

  private async sendBatch(events: Stripe.Event[]): Promise<void> {
    if (this.closed) return;
    const settings = this.current;
    await Promise.all(
      this.endpoints().map(async (endpoint) => {
        const mine = events.filter((e) => this.targets.get(e.id)?.has(endpoint.id) === true);
        const ordered = settings.reorder ? shuffleDifferently(mine, this.random) : mine;
        for (const event of ordered) {
          if (settings.dropThenRedeliver) {
            this.record(event, endpoint, null, 'dropped', 'dropped on purpose (dropThenRedeliver)');
            this.scheduleRetry(event, endpoint, Math.max(settings.retryDelayMs, 1));
            continue;
          }
          const attempt = await this.send(event, endpoint, 'first');
          if (!attempt.ok) this.scheduleRetry(event, endpoint, settings.retryDelayMs);
        }
        for (const event of ordered) {
          if (settings.duplicate > 0 && this.random() < settings.duplicate) {
            await this.send(event, endpoint, 'duplicate');
          }
        }
      }),
    );
  }

  private scheduleRetry(event: Stripe.Event, endpoint: WebhookEndpointInfo, delayMs: number): void {
    const target = this.targets.get(event.id)?.get(endpoint.id);
    if (target === undefined || target.delivered || this.closed) return;
    if (target.attempts >= this.current.maxAttempts) return;
    this.track(
      this.sleep(delayMs).then(async () => {
        if (target.delivered || this.closed) return;
        const attempt = await this.send(event, endpoint, 'retry');
        if (!attempt.ok) this.scheduleRetry(event, endpoint, delayMs * 2);
      }),
    );
  }

  private async send(
    event: Stripe.Event,
    endpoint: WebhookEndpointInfo,
    kind: DeliveryAttempt['kind'],
  ): Promise<DeliveryAttempt> {
    const payload = JSON.stringify(event, null, 2);
    const timestamp = Math.floor(this.signingClock.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.current.timeoutMs),
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': signPayload(payload, endpoint.secret, timestamp),
        },
        body: payload,
      });
      status = response.status;
      const text = await response.text();
      if (status < 200 || status >= 300) error = text.slice(0, 300) || `HTTP ${status}`;
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    return this.record(event, endpoint, status, kind, error);
  }

  private record(
    event: Stripe.Event,
    endpoint: WebhookEndpointInfo,
    status: number | null,
    kind: DeliveryAttempt['kind'],
    error: string | null,
  ): DeliveryAttempt {
    const ok = status !== null && status >= 200 && status < 300;
    const target = this.targets.get(event.id)?.get(endpoint.id);
    if (target !== undefined) {
      if (kind !== 'duplicate' && kind !== 'manual') target.attempts += 1;
      if (ok && !target.delivered) {
        target.delivered = true;
        event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
      }
    }
    const attempt: DeliveryAttempt = {
      eventId: event.id,
      endpointId: endpoint.id,
      attempt: target?.attempts ?? 0,
      at: Date.now(),
      status,
      ok,
      error,
      kind,
    };
    this.log.push(attempt);
    return attempt;
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch(() => undefined).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const entry = {
        cancel: this.timers.after(ms, () => {
          this.waits.delete(entry);
          resolve();
        }),
        wake: () => resolve(),
      };
      this.waits.add(entry);
    });
  }
}

function checkUrl(url: string): void {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new Error(`not an http(s) url: ${url}`);
}

function accepts(endpoint: WebhookEndpointInfo, type: string): boolean {
  if (endpoint.status !== 'enabled') return false;
  return endpoint.enabledEvents.some((pattern) => matchesType(pattern, type));
}

/** Stripe's event type filter: exact, `*`, or a `prefix.*` wildcard. */
export function matchesType(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** A shuffle that, for two or more items, never returns the original order. */
export function shuffleDifferently<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  if (out.length < 2) return out;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  if (out.every((item, i) => item === items[i])) out.push(out.shift() as T);
  return out;
}
