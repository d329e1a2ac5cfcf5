import { describe, expect, it } from 'vitest';
import {
  grantEvents,
  grantStatuses,
  IllegalTransitionError,
  transition,
  type GrantEvent,
  type GrantStatus,
} from '../../src/core/grant-state.js';

type Expect = `${GrantStatus}/${0 | 1}` | 'illegal';
// Rows: (status, active); columns: events in grantEvents order:
// activate, delivery_succeeded, delivery_failed, payment_failed, suspend, restore, revoke, extend
const expected: Record<`${GrantStatus}/${0 | 1}`, Expect[]> = {
  'pending/0': [
    'pending/1',
    'illegal',
    'illegal',
    'failed/0',
    'suspended/0',
    'illegal',
    'revoked/0',
    'pending/0',
  ],
  'pending/1': [
    'pending/1',
    'delivered/1',
    'failed/1',
    'failed/0',
    'suspended/0',
    'illegal',
    'revoked/0',
    'pending/1',
  ],
  'delivered/0': [
    'delivered/1',
    'illegal',
    'illegal',
    'illegal',
    'suspended/0',
    'illegal',
    'revoked/0',
    'delivered/0',
  ],
  'delivered/1': [
    'delivered/1',
    'delivered/1',
    'failed/1',
    'illegal',
    'suspended/0',
    'illegal',
    'revoked/0',
    'delivered/1',
  ],
  'failed/0': [
    'pending/1',
    'illegal',
    'illegal',
    'illegal',
    'suspended/0',
    'illegal',
    'revoked/0',
    'failed/0',
  ],
  'failed/1': [
    'pending/1',
    'delivered/1',
    'failed/1',
    'illegal',
    'suspended/0',
    'illegal',
    'revoked/0',
    'failed/1',
  ],
  'suspended/0': [
    'pending/1',
    'illegal',
    'illegal',
    'illegal',
    'suspended/0',
    'pending/1',
    'revoked/0',
    'suspended/0',
  ],
  'suspended/1': [
    'pending/1',
    'illegal',
    'illegal',
    'illegal',
    'suspended/0',
    'pending/1',
    'revoked/0',
    'suspended/1',
  ],
  'revoked/0': ['illegal', 'illegal', 'illegal', 'illegal', 'illegal', 'illegal', 'illegal', 'illegal'],
  'revoked/1': ['illegal', 'illegal', 'illegal', 'illegal', 'illegal', 'illegal', 'illegal', 'illegal'],
};

describe('grant state machine', () => {
  const cases: [GrantStatus, boolean, GrantEvent, Expect][] = [];
  for (const status of grantStatuses)
    for (const active of [false, true])
      grantEvents.forEach((event, i) => {
        const row = expected[`${status}/${active ? 1 : 0}`];
        cases.push([status, active, event, row[i] as Expect]);
      });

  it('covers every (status, active, event) triple', () => {
    expect(cases).toHaveLength(grantStatuses.length * 2 * grantEvents.length);
  });

  it.each(cases)('%s (active=%s) + %s → %s', (status, active, event, want) => {
    if (want === 'illegal') {
      expect(() => transition(status, active, event)).toThrow(IllegalTransitionError);
      return;
    }
    const [s, a] = want.split('/');
    expect(transition(status, active, event)).toEqual({ status: s, active: a === '1' });
  });

  it('explains a refused transition in words', () => {
    expect(() => transition('revoked', false, 'restore')).toThrow(/grant is revoked/);
  });
});
