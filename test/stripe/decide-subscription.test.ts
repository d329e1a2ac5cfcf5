import { describe, expect, it } from 'vitest';
import { decideSubscription } from '../../src/app/billing/lifecycle.js';
import { DAY_MS } from '../../src/core/clock.js';

const now = Date.UTC(2026, 5, 1);
const grant = (over: Partial<Parameters<typeof decideSubscription>[0]> = {}) => ({
  status: 'delivered',
  active: 1,
  status_reason: null,
  grace_ends_at: null,
  delivered_at: now - DAY_MS,
  ...over,
});

describe('what a subscription status means for its grant', () => {
  it('active or trialing keeps an active grant as it is', () => {
    expect(decideSubscription(grant(), 'active', 3, now).event).toBeNull();
    expect(decideSubscription(grant(), 'trialing', 3, now).event).toBeNull();
  });

  it('active activates a pending grant and restores a suspended one', () => {
    expect(
      decideSubscription(grant({ status: 'pending', active: 0, delivered_at: null }), 'active', 3, now).event,
    ).toBe('activate');
    expect(
      decideSubscription(
        grant({ status: 'suspended', active: 0, status_reason: 'subscription_unpaid' }),
        'active',
        3,
        now,
      ).event,
    ).toBe('restore');
  });

  it('active does not lift a suspension made for an open dispute', () => {
    expect(
      decideSubscription(
        grant({ status: 'suspended', active: 0, status_reason: 'dispute' }),
        'active',
        3,
        now,
      ).event,
    ).toBeNull();
  });

  it('past_due keeps access and starts a grace period of the entitlement grace days', () => {
    const d = decideSubscription(grant(), 'past_due', 3, now);
    expect(d.event).toBe('extend');
    expect(d.graceEndsAt).toBe(now + 3 * DAY_MS);
  });

  it('past_due after the grace period suspends', () => {
    const d = decideSubscription(grant({ grace_ends_at: now - 1 }), 'past_due', 3, now);
    expect(d).toMatchObject({ event: 'suspend', reason: 'grace_expired' });
  });

  it('past_due with zero grace days suspends at once', () => {
    expect(decideSubscription(grant(), 'past_due', 0, now).event).toBe('suspend');
  });

  it('paying again after past_due clears the grace period', () => {
    expect(decideSubscription(grant({ grace_ends_at: now + DAY_MS }), 'active', 3, now)).toMatchObject({
      event: 'extend',
      graceEndsAt: null,
    });
  });

  it('unpaid and paused suspend; a second time changes nothing', () => {
    expect(decideSubscription(grant(), 'unpaid', 3, now).event).toBe('suspend');
    expect(decideSubscription(grant(), 'paused', 3, now).event).toBe('suspend');
    expect(decideSubscription(grant({ status: 'suspended', active: 0 }), 'paused', 3, now).event).toBeNull();
  });

  it('canceled revokes', () => {
    expect(decideSubscription(grant(), 'canceled', 3, now)).toMatchObject({ event: 'revoke' });
  });

  it('incomplete waits and incomplete_expired fails a grant that never started', () => {
    const pending = grant({ status: 'pending', active: 0, delivered_at: null });
    expect(decideSubscription(pending, 'incomplete', 3, now).event).toBeNull();
    expect(decideSubscription(pending, 'incomplete_expired', 3, now).event).toBe('payment_failed');
  });

  it('a revoked grant never comes back, whatever the subscription says', () => {
    for (const s of ['active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled'])
      expect(decideSubscription(grant({ status: 'revoked', active: 0 }), s, 3, now).event).toBeNull();
  });
});
