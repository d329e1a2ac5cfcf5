import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startUx, testCheckout, type UxHarness } from './harness.js';

type Button = { type: number; style: number; url?: string; custom_id?: string; label: string };
type Reply = {
  type: number;
  data?: { content?: string; flags?: number; components?: { components: Button[] }[] };
};

describeEachBackend('Discord interactions endpoint', ({ dialect }) => {
  let h: UxHarness;
  const checkout = testCheckout();

  beforeAll(async () => {
    h = await startUx(dialect, { ports: { checkout: checkout.port } });
  });
  afterAll(() => h.stop());

  const buy = (userId: string, entitlementId: string) =>
    h.discord.sendInteraction({
      type: 3,
      guildId: h.guildId,
      userId,
      data: { custom_id: `buy:${entitlementId}`, component_type: 2 },
    });

  it('rejects forged and stale signatures with 401 and stores nothing', async () => {
    const before = await h.count('inbox_events');
    const forged = await h.discord.sendInteraction({ type: 1 }, { forgeSignature: true });
    const stale = await h.discord.sendInteraction({ type: 1 }, { staleSeconds: 301 });
    const unsigned = await fetch(`${h.t.url}/discord/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: '1', type: 1 }),
    });
    expect([forged.status, stale.status, unsigned.status]).toEqual([401, 401, 401]);
    expect(await h.count('inbox_events')).toBe(before);
  });

  it('answers a signed PING with PONG and keeps it in the inbox', async () => {
    const ping = await h.discord.sendInteraction({ type: 1 });
    expect(ping.status).toBe(200);
    expect(ping.body).toEqual({ type: 1 });
    const stored = await h.t.app.ctx.db.kysely
      .selectFrom('inbox_events')
      .selectAll()
      .where('source', '=', 'discord')
      .where('id', '=', ping.interactionId)
      .executeTakeFirstOrThrow();
    expect(stored.processed_at).not.toBeNull();
    expect((await h.discord.validateInteractionsEndpoint()).ok).toBe(true);
  });

  it('the buy button answers within 3 s with an ephemeral personal link that redirects to checkout, and DMs a copy', async () => {
    const ent = await h.entitlement({ name: 'Gold club' });
    const buyer = h.member('buyer');
    const sent = await buy(buyer, ent);
    expect(sent.status).toBe(200);
    expect(sent.elapsedMs).toBeLessThan(3000);
    expect(sent.failure).toBeNull();
    const reply = sent.body as Reply;
    expect(reply.type).toBe(4);
    expect(reply.data?.flags).toBe(64);
    const button = reply.data?.components?.[0]?.components[0];
    expect(button?.style).toBe(5);
    expect(button?.url).toMatch(new RegExp(`^${h.t.url}/c/[\\w-]+$`));
    expect(button?.url?.length).toBeLessThanOrEqual(512);
    expect(checkout.calls.at(-1)).toEqual({ entitlementId: ent, discordUserId: buyer });

    const redirect = await fetch(button?.url ?? '', { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(
      /^https:\/\/checkout\.example\.test\/c\/pay\/cs_test_a{600}/,
    );

    const dm = await eventually(async () => h.discord.dmMessages(buyer)[0], 10_000, 'the DM copy');
    expect(JSON.stringify(dm.components)).toContain(button?.url ?? 'missing');
  });

  it('a buyer with closed DMs still gets the checkout link, and the DM job ends quietly', async () => {
    const ent = await h.entitlement({ name: 'Quiet club' });
    const buyer = h.member('private-buyer');
    h.discord.setDmsClosed(buyer, true);
    const sent = await buy(buyer, ent);
    const reply = sent.body as Reply;
    expect(reply.data?.flags).toBe(64);
    expect(reply.data?.components?.[0]?.components[0]?.url).toMatch(/\/c\//);
    await eventually(async () => (await h.jobs('discord.send_dm')).length === 0, 10_000, 'DM job finished');
    expect(h.discord.dmMessages(buyer)).toEqual([]);
  });

  it('a sale that ended gets a clear message instead of a link', async () => {
    const ent = await h.entitlement({ name: 'Summer pass' });
    await h.t.app.ctx.db.kysely
      .updateTable('entitlements')
      .set({ sale_ends_at: Date.UTC(2025, 5, 1) })
      .where('id', '=', ent)
      .execute();
    const calls = checkout.calls.length;
    const reply = (await buy(h.member('late-buyer'), ent)).body as Reply;
    expect(reply.data?.flags).toBe(64);
    expect(reply.data?.content).toContain('ended on 2025-06-01');
    expect(reply.data?.components ?? []).toEqual([]);
    expect(checkout.calls.length).toBe(calls);
  });

  it('says payments are not configured when no checkout is available', async () => {
    const ent = await h.entitlement({ name: 'Unpayable' });
    const ports = h.t.app.ctx.ports;
    ports.checkout = null;
    try {
      const reply = (await buy(h.member('early-buyer'), ent)).body as Reply;
      expect(reply.data?.flags).toBe(64);
      expect(reply.data?.content).toMatch(/payments are not configured/i);
    } finally {
      ports.checkout = checkout.port;
    }
  });

  it('a slow checkout is deferred inside the deadline and the link replaces the loading reply', async () => {
    const ent = await h.entitlement({ name: 'Slow club' });
    const slow = testCheckout({ delayMs: 2_300 });
    h.t.app.ctx.ports.checkout = slow.port;
    try {
      const sent = await buy(h.member('patient-buyer'), ent);
      expect(sent.elapsedMs).toBeLessThan(3000);
      expect(sent.failure).toBeNull();
      expect(sent.body).toEqual({ type: 5, data: { flags: 64 } });
      const original = await eventually(async () => {
        const o = h.discord.interactionReplies(sent.interactionId).original;
        return o && JSON.stringify(o.components ?? []).includes('/c/') ? o : null;
      });
      expect(original.content).toContain('Slow club');
    } finally {
      h.t.app.ctx.ports.checkout = checkout.port;
    }
  });

  it('an unknown command gets a plain ephemeral answer', async () => {
    const sent = await h.discord.sendInteraction({
      type: 2,
      guildId: h.guildId,
      userId: h.member('x'),
      data: { name: 'unknown' },
    });
    expect(sent.status).toBe(200);
    expect((sent.body as Reply).data?.content).toMatch(/does not know this command/);
  });
});
