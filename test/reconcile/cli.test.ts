import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine, reconcileCommand, type CliIo } from '../../src/cli/reconcile.js';
import { buyer, drain, entitlement, grant, newShop, startWorld, type World } from './world.js';

function collecting(isTty: boolean) {
  const out: string[] = [];
  const progress: { line: string; transient: boolean }[] = [];
  const io: CliIo = {
    isTty,
    out: (l) => void out.push(l),
    progress: (line, transient) => void progress.push({ line, transient }),
  };
  return { io, out, progress };
}

describe('rolegate reconcile (CLI)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld('sqlite');
  });
  afterAll(async () => {
    await w.stop();
  });

  it('prints the diff with role names and changes nothing in a dry run', async () => {
    const shop = await newShop(w);
    const ent = await entitlement(w, shop, [shop.roles[0] ?? '']);
    const b = await buyer(w, shop);
    await grant(w, ent, b.customerId);
    await drain(w);
    w.discord.setMemberRoles(shop.guildId, b.userId, []);
    const { io, out, progress } = collecting(false);
    const [report] = await reconcileCommand(
      w.ctx,
      { serverId: shop.serverId, dryRun: true, confirmRemovals: false },
      io,
    );
    expect(report?.drift).toHaveLength(1);
    expect(out).toContain(`  member ${b.userId}: +R0`);
    expect(out[0]).toContain('dry run, nothing changed');
    expect(w.discord.getMember(shop.guildId, b.userId)?.roles).toEqual([]);
    // Not a terminal: plain progress lines, none to overwrite.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => !p.transient && !p.line.includes('\r'))).toBe(true);
    expect(progress.at(-1)?.line).toContain('done');

    const real = collecting(true);
    await reconcileCommand(
      w.ctx,
      { serverId: shop.serverId, dryRun: false, confirmRemovals: false },
      real.io,
    );
    expect(w.discord.getMember(shop.guildId, b.userId)?.roles).toEqual([shop.roles[0]]);
    expect(real.out.some((l) => l.includes('1 repaired'))).toBe(true);
  });

  it('says so when the server is unknown', async () => {
    const { io, out } = collecting(false);
    expect(
      await reconcileCommand(w.ctx, { serverId: 'srv_nope', dryRun: true, confirmRemovals: false }, io),
    ).toEqual([]);
    expect(out).toEqual(['no connected server srv_nope']);
  });

  it('draws a bar on a terminal: filled by share when the total is known, sliding while listing', () => {
    const known = progressLine('Shop', { phase: 'read', membersRead: 50, expected: 100, repaired: 3 }, true);
    expect(known).toBe('Shop [############------------] 50% 50 members read, 3 repaired');
    const a = progressLine(
      'Shop',
      { phase: 'read', membersRead: 1000, expected: null, repaired: 0 },
      true,
      0,
    );
    const b = progressLine(
      'Shop',
      { phase: 'read', membersRead: 2000, expected: null, repaired: 0 },
      true,
      1,
    );
    expect(a).toContain('[###---');
    expect(b).toContain('[-###---');
    expect(
      progressLine('Shop', { phase: 'read', membersRead: 2000, expected: null, repaired: 0 }, false),
    ).toBe('Shop: reading — 2,000 members read, 0 repaired');
  });
});
