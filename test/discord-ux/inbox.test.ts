import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startUx, testCheckout, type UxHarness } from './harness.js';

/** Interactions go through the inbox: recorded, answered, marked; a duplicate delivery is handled once. */
describeEachBackend('Discord interactions in the inbox', ({ dialect }) => {
  let h: UxHarness;
  const checkout = testCheckout();

  beforeAll(async () => {
    h = await startUx(dialect, { ports: { checkout: checkout.port }, worker: false });
  });
  afterAll(() => h.stop());

  const row = (id: string) =>
    h.t.app.ctx.db.kysely
      .selectFrom('inbox_events')
      .selectAll()
      .where('source', '=', 'discord')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const buy = (userId: string, entitlementId: string) =>
    h.discord.sendInteraction({
      type: 3,
      guildId: h.guildId,
      userId,
      data: { custom_id: `buy:${entitlementId}`, component_type: 2 },
    });

  it('records who and where, and a duplicate delivery gets the first answer without a second checkout or DM', async () => {
    const ent = await h.entitlement({ name: 'Twice club' });
    const buyer = h.member('twice');
    const first = await buy(buyer, ent);
    expect(first.status).toBe(200);
    expect(first.failure).toBeNull();
    const calls = checkout.calls.length;
    const dms = (await h.jobs('discord.send_dm')).length;
    expect(dms).toBeGreaterThan(0);

    const again = await h.discord.redeliverInteraction(first.interactionId);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(checkout.calls.length).toBe(calls);
    expect((await h.jobs('discord.send_dm')).length).toBe(dms);
    expect(await row(first.interactionId)).toMatchObject({
      type: 'interaction.3',
      guild_id: h.guildId,
      user_id: buyer,
      outcome: 'answered',
      error: null,
      processed_at: expect.any(Number),
      response: JSON.stringify(first.body),
    });
  });

  it('an interaction whose handling failed is answered with an apology and stays visible as failed; a redelivery is not retried', async () => {
    const ent = await h.entitlement({ name: 'Broken club' });
    const buyer = h.member('unlucky');
    const db = h.t.app.ctx.db.kysely;
    // A real failure below the handler: the database refuses the checkout link.
    if (dialect === 'sqlite')
      await sql`CREATE TRIGGER refuse_links BEFORE INSERT ON checkout_links
        BEGIN SELECT RAISE(ABORT, 'checkout_links refused by the test'); END`.execute(db);
    else {
      await sql`CREATE FUNCTION refuse_links() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'checkout_links refused by the test'; END $$`.execute(db);
      await sql`CREATE TRIGGER refuse_links BEFORE INSERT ON checkout_links
        FOR EACH ROW EXECUTE FUNCTION refuse_links()`.execute(db);
    }
    try {
      const sent = await buy(buyer, ent);
      expect(sent.status).toBe(200);
      expect(sent.failure).toBeNull();
      expect(sent.body).toMatchObject({
        type: 4,
        data: { flags: 64, content: expect.stringMatching(/went wrong/) },
      });
      const stored = await row(sent.interactionId);
      expect(stored).toMatchObject({ outcome: 'failed', guild_id: h.guildId, user_id: buyer });
      expect(stored.error).toContain('checkout_links refused by the test');
      expect(stored.processed_at).not.toBeNull();

      const calls = checkout.calls.length;
      const again = await h.discord.redeliverInteraction(sent.interactionId);
      expect(again.body).toEqual(sent.body);
      expect(checkout.calls.length).toBe(calls);
    } finally {
      await sql`DROP TRIGGER refuse_links${sql.raw(dialect === 'postgres' ? ' ON checkout_links' : '')}`.execute(
        db,
      );
      if (dialect === 'postgres') await sql`DROP FUNCTION refuse_links()`.execute(db);
    }
  });
});
