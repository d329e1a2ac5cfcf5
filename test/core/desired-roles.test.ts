import { describe, expect, it } from 'vitest';
import { desiredRoles, heldAfterEnd, planMemberSync, type SyncGrant } from '../../src/core/desired-roles.js';

const now = 1_000_000;
const ent = (id: string, roleIds: string[], extra: Partial<SyncGrant['entitlement']> = {}) => ({
  id,
  roleIds,
  revokeAction: 'remove_roles' as const,
  fallbackRoleId: null,
  enforceRoles: false,
  ...extra,
});
const grant = (id: string, e: SyncGrant['entitlement'], extra: Partial<SyncGrant> = {}): SyncGrant => ({
  id,
  active: true,
  startsAt: 0,
  endsAt: null,
  deliveredAt: 1,
  grantedRoleIds: e.roleIds,
  entitlement: e,
  ...extra,
});
const managed = new Set(['gold', 'silver', 'vip', 'fallback']);
const none = new Set<string>();

describe('desired roles', () => {
  it('are the union of the live grants', () => {
    const a = grant('g1', ent('e1', ['gold', 'vip']));
    const b = grant('g2', ent('e2', ['silver']));
    expect([...desiredRoles([a, b], now)].sort()).toEqual(['gold', 'silver', 'vip']);
  });

  it('revoking one of two grants that give the same role keeps the role', () => {
    const a = grant('g1', ent('e1', ['gold']), { active: false });
    const b = grant('g2', ent('e2', ['gold']));
    const plan = planMemberSync({
      grants: [a, b],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold'],
      now,
    });
    expect(plan.remove).toEqual([]);
    expect(plan.add).toEqual([]);
  });

  it('an expired grant gives nothing and its roles are removed', () => {
    const a = grant('g1', ent('e1', ['gold']), { endsAt: now - 1 });
    const plan = planMemberSync({
      grants: [a],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold', 'other'],
      now,
    });
    expect(plan.remove).toEqual(['gold']);
  });

  it('never touches roles that are not managed', () => {
    const a = grant('g1', ent('e1', ['gold']), { active: false });
    const plan = planMemberSync({
      grants: [a],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold', 'moderator'],
      now,
    });
    expect(plan.remove).toEqual(['gold']);
  });

  it('leaves a hand-given managed role alone unless the merchant enforces it', () => {
    const plan = planMemberSync({
      grants: [],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold'],
      now,
    });
    expect(plan.remove).toEqual([]);
    const enforced = planMemberSync({
      grants: [],
      managedRoleIds: managed,
      enforcedRoleIds: new Set(['gold']),
      memberRoleIds: ['gold'],
      now,
    });
    expect(enforced.remove).toEqual(['gold']);
  });

  it('a role taken out of an entitlement is removed from its holders', () => {
    const e = ent('e1', ['gold']);
    const a = grant('g1', e, { grantedRoleIds: ['gold', 'silver'] });
    const plan = planMemberSync({
      grants: [a],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold', 'silver'],
      now,
    });
    expect(plan.remove).toEqual(['silver']);
  });

  it('a renewal with nothing to change plans no call', () => {
    const a = grant('g1', ent('e1', ['gold']), { endsAt: now + 1000 });
    const plan = planMemberSync({
      grants: [a],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold'],
      now,
    });
    expect(plan).toMatchObject({ add: [], remove: [], join: false, kick: false });
  });

  it('swap gives the fallback role when access ends, and takes it back on a new purchase', () => {
    const e = ent('e1', ['gold'], { revokeAction: 'swap', fallbackRoleId: 'fallback' });
    const ended = grant('g1', e, { active: false });
    const plan = planMemberSync({
      grants: [ended],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold'],
      now,
    });
    expect(plan).toMatchObject({ add: ['fallback'], remove: ['gold'] });
    const again = planMemberSync({
      grants: [ended, grant('g2', e)],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['fallback'],
      now,
    });
    expect(again).toMatchObject({ add: ['gold'], remove: ['fallback'] });
  });

  it('keep leaves the roles in place when access ends', () => {
    const e = ent('e1', ['gold'], { revokeAction: 'keep' });
    const plan = planMemberSync({
      grants: [grant('g1', e, { active: false })],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: ['gold'],
      now,
    });
    expect(plan.remove).toEqual([]);
  });

  it('kick removes a member with no live grant left, but not one who still has another', () => {
    const e = ent('e1', ['gold'], { revokeAction: 'kick' });
    const ended = grant('g1', e, { active: false });
    expect(
      planMemberSync({
        grants: [ended],
        managedRoleIds: managed,
        enforcedRoleIds: none,
        memberRoleIds: ['gold'],
        now,
      }).kick,
    ).toBe(true);
    const other = grant('g2', ent('e2', ['silver']));
    expect(
      planMemberSync({
        grants: [ended, other],
        managedRoleIds: managed,
        enforcedRoleIds: none,
        memberRoleIds: ['gold', 'silver'],
        now,
      }).kick,
    ).toBe(false);
  });

  it('a never-delivered grant that ends kicks nobody', () => {
    const e = ent('e1', ['gold'], { revokeAction: 'kick' });
    const plan = planMemberSync({
      grants: [grant('g1', e, { active: false, deliveredAt: null })],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: [],
      now,
    });
    expect(plan.kick).toBe(false);
  });

  it('a buyer who is not in the server is joined', () => {
    const plan = planMemberSync({
      grants: [grant('g1', ent('e1', []))],
      managedRoleIds: managed,
      enforcedRoleIds: none,
      memberRoleIds: null,
      now,
    });
    expect(plan.join).toBe(true);
  });
});

describe('what an ended grant still holds', () => {
  const member = new Set(['gold', 'fallback', 'other']);
  it('is nothing once its roles were removed or the member kicked', () => {
    expect(heldAfterEnd(grant('g', ent('e', ['gold']), { active: false }), member)).toEqual([]);
    expect(
      heldAfterEnd(grant('g', ent('e', ['gold'], { revokeAction: 'kick' }), { active: false }), member),
    ).toEqual([]);
  });
  it('is the roles "keep" left in place, as long as the member still has them', () => {
    const e = ent('e', ['gold', 'vip'], { revokeAction: 'keep' });
    expect(heldAfterEnd(grant('g', e, { active: false }), member)).toEqual(['gold']);
  });
  it('is the fallback role "swap" gave, once it was delivered', () => {
    const e = ent('e', ['gold'], { revokeAction: 'swap', fallbackRoleId: 'fallback' });
    expect(heldAfterEnd(grant('g', e, { active: false }), member)).toEqual(['fallback']);
    expect(heldAfterEnd(grant('g', e, { active: false, deliveredAt: null }), member)).toEqual([]);
    expect(heldAfterEnd(grant('g', e, { active: false }), new Set(['gold']))).toEqual([]);
  });
});
