/**
 * The event log: every change the local Stripe makes is recorded as a `Stripe.Event` with a
 * snapshot of the object at that moment, then handed to the webhook dispatcher.
 */
import type Stripe from 'stripe';
import type { SandboxClock } from './clock.js';
import { newId } from './ids.js';

export const API_VERSION = '2026-10-28.endive';

export type EventType = Stripe.Event['type'];
export type EventOf<T extends EventType> = Extract<Stripe.Event, { type: T }>;
export type EventObject<T extends EventType> = EventOf<T>['data']['object'];
export type PreviousAttributes<T extends EventType> = NonNullable<EventOf<T>['data']['previous_attributes']>;

/** A deep copy as it would travel over the wire (Decimals become strings). */
export function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export type EventListener = (event: Stripe.Event) => void;

export class EventLog {
  private readonly events: Stripe.Event[] = [];
  private readonly byId = new Map<string, Stripe.Event>();
  private readonly listeners: EventListener[] = [];
  private lastCreated = 0;
  private request: Stripe.Event.Request = { id: null, idempotency_key: null };

  constructor(private readonly clock: SandboxClock) {}

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  /** Events emitted inside `run` name the API request that caused them, as Stripe's `request` does. */
  withRequest<R>(request: Stripe.Event.Request, run: () => R): R {
    const previous = this.request;
    this.request = request;
    try {
      return run();
    } finally {
      this.request = previous;
    }
  }

  emit<T extends EventType>(type: T, object: EventObject<T>, previous?: PreviousAttributes<T>): EventOf<T> {
    // `created` never goes back, even if two events fall in the same second or the clock is replaced.
    const created = Math.max(this.lastCreated, this.clock.nowSeconds());
    this.lastCreated = created;
    const data =
      previous === undefined
        ? { object: snapshot(object) }
        : { object: snapshot(object), previous_attributes: snapshot(previous) };
    // The union member for `type` is chosen by `type` itself; TypeScript cannot narrow a generic here.
    const event = {
      id: newId('event'),
      object: 'event',
      api_version: API_VERSION,
      created,
      data,
      livemode: false,
      pending_webhooks: 0,
      request: { ...this.request },
      type,
    } as unknown as EventOf<T>;
    this.events.push(event);
    this.byId.set(event.id, event);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  get(id: string): Stripe.Event | undefined {
    return this.byId.get(id);
  }

  /** Oldest first. */
  all(): readonly Stripe.Event[] {
    return this.events;
  }
}
