/**
 * The grant state machine, as pure code.
 *
 * Two things are tracked apart:
 * - `active`: does the grant confer access right now (paid, not suspended, not revoked)?
 *   Desired roles are computed from active grants only.
 * - `status`: where delivery to Discord stands: `pending` (not yet applied: awaiting payment or a
 *   linked account), `delivered`, `failed` (last delivery or the payment failed; see the error
 *   owner), `suspended` (access paused, roles removed, restorable), `revoked` (terminal).
 */
export const grantStatuses = ['pending', 'delivered', 'failed', 'suspended', 'revoked'] as const;
export type GrantStatus = (typeof grantStatuses)[number];

export const grantEvents = [
  /** Payment confirmed (or a manual/comp grant created): the grant confers access. */
  'activate',
  /** Member sync applied the desired roles. */
  'delivery_succeeded',
  /** Member sync could not apply them (the error owner says who must act). */
  'delivery_failed',
  /** The first payment failed: access never starts. */
  'payment_failed',
  /** Access paused (unpaid, paused subscription, grace over, dispute under a suspend policy). */
  'suspend',
  /** Access restored after a suspension. */
  'restore',
  /** Access ends for good (cancel, refund, dispute lost, expiry, manual revoke). */
  'revoke',
  /** The end of the period moves (extend, renewal); status unchanged. */
  'extend',
] as const;
export type GrantEvent = (typeof grantEvents)[number];

interface Outcome {
  status: GrantStatus;
  active: boolean;
}

type Rule = (active: boolean) => Outcome | null;

const keep =
  (status: GrantStatus): Rule =>
  (active) => ({ status, active });
const to =
  (status: GrantStatus, active: boolean): Rule =>
  () => ({ status, active });
/** Delivery outcomes only mean something for a grant that confers access. */
const whenActive =
  (status: GrantStatus): Rule =>
  (active) =>
    active ? { status, active } : null;

/** Every legal (status, event) pair; anything absent is refused. */
const table: Record<GrantStatus, Partial<Record<GrantEvent, Rule>>> = {
  pending: {
    activate: to('pending', true),
    delivery_succeeded: whenActive('delivered'),
    delivery_failed: whenActive('failed'),
    payment_failed: to('failed', false),
    suspend: to('suspended', false),
    revoke: to('revoked', false),
    extend: keep('pending'),
  },
  delivered: {
    activate: to('delivered', true),
    delivery_succeeded: whenActive('delivered'),
    delivery_failed: whenActive('failed'),
    suspend: to('suspended', false),
    revoke: to('revoked', false),
    extend: keep('delivered'),
  },
  failed: {
    activate: to('pending', true),
    delivery_succeeded: whenActive('delivered'),
    delivery_failed: whenActive('failed'),
    suspend: to('suspended', false),
    revoke: to('revoked', false),
    extend: keep('failed'),
  },
  suspended: {
    activate: to('pending', true),
    restore: to('pending', true),
    suspend: to('suspended', false),
    revoke: to('revoked', false),
    extend: keep('suspended'),
  },
  revoked: {},
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: GrantStatus,
    readonly event: GrantEvent,
    readonly active: boolean,
  ) {
    super(
      from === 'revoked'
        ? `grant is revoked; "${event}" is not possible (create a new grant instead)`
        : `"${event}" is not possible for a ${active ? 'active' : 'inactive'} grant in status "${from}"`,
    );
    this.name = 'IllegalTransitionError';
  }
}

/** The next (status, active) for an event, or an IllegalTransitionError. Never mutates. */
export function transition(from: GrantStatus, active: boolean, event: GrantEvent): Outcome {
  const rule = table[from][event];
  const outcome = rule?.(active) ?? null;
  if (!outcome) throw new IllegalTransitionError(from, event, active);
  return outcome;
}

/** True when `event` is legal from (status, active). */
export function canTransition(from: GrantStatus, active: boolean, event: GrantEvent): boolean {
  return (table[from][event]?.(active) ?? null) !== null;
}

export function isGrantStatus(value: string): value is GrantStatus {
  return (grantStatuses as readonly string[]).includes(value);
}
