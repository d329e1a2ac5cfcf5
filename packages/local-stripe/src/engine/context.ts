/** What every state-changing operation works with, and the helpers they share. */
import type { SandboxClock } from '../clock.js';
import type { EventLog } from '../events.js';
import type { StripeStore } from '../state.js';

export interface Engine {
  readonly store: StripeStore;
  readonly events: EventLog;
  readonly clock: SandboxClock;
  /** Where the local Stripe's own pages are served (`http://127.0.0.1:PORT`), known once it listens. */
  baseUrl(): string;
}

/** A simulator or checkout action that is not possible in the object's current state. */
export class SandboxActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxActionError';
  }
}

/**
 * The previous values of the top-level fields that differ between two snapshots: Stripe's
 * `previous_attributes` (a changed array or list is given whole).
 */
export function previousAttributes<T extends object>(before: T, after: T): Partial<T> {
  const previous: Partial<T> = {};
  for (const key of Object.keys(before) as Array<keyof T>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}
