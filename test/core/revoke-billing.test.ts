import { describe, expect, it } from 'vitest';
import { planRevokeBilling, type BillableGrant } from '../../src/core/revoke-billing.js';

const grant = (extra: Partial<BillableGrant>): BillableGrant => ({
  id: 'grt_1',
  stripe_subscription_id: null,
  stripe_checkout_session_id: null,
  announced_at: 1,
  ...extra,
});

describe('the billing a revoke records', () => {
  const subscribed = grant({ stripe_subscription_id: 'sub_1', stripe_checkout_session_id: 'cs_1' });

  it('for a subscription: cancel now unless told otherwise; keeping billing needs no Stripe call', () => {
    expect(planRevokeBilling(subscribed, undefined)).toEqual({
      ok: true,
      choice: 'cancel_now',
      status: 'pending',
    });
    expect(planRevokeBilling(subscribed, 'cancel_at_period_end')).toEqual({
      ok: true,
      choice: 'cancel_at_period_end',
      status: 'pending',
    });
    expect(planRevokeBilling(subscribed, 'keep_billing')).toEqual({
      ok: true,
      choice: 'keep_billing',
      status: 'done',
    });
  });

  it('for a checkout never paid (as far as we know): it may still be paid, so it counts as billing', () => {
    const open = grant({ stripe_checkout_session_id: 'cs_1', announced_at: null });
    expect(planRevokeBilling(open, undefined)).toMatchObject({ ok: true, choice: 'cancel_now' });
  });

  it('for a grant Stripe cannot charge for: only the default, which records nothing', () => {
    const manual = grant({});
    const paidOnce = grant({ stripe_checkout_session_id: 'cs_1' });
    for (const g of [manual, paidOnce]) {
      expect(planRevokeBilling(g, undefined)).toEqual({ ok: true, choice: null, status: null });
      expect(planRevokeBilling(g, 'cancel_now')).toEqual({ ok: true, choice: null, status: null });
      expect(planRevokeBilling(g, 'keep_billing')).toMatchObject({ ok: false });
      expect(planRevokeBilling(g, 'cancel_at_period_end')).toMatchObject({ ok: false });
    }
  });
});
