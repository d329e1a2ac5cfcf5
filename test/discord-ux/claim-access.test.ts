import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { eventually, startUx, type UxHarness } from './harness.js';

type Reply = {
  type: number;
  data?: {
    content?: string;
    flags?: number;
    components?: { components: { custom_id?: string; url?: string; style?: number }[] }[];
  };
};

describeEachBackend('/claim and /access', ({ dialect }) => {
  let h: UxHarness;
  beforeAll(async () => {
    h = await startUx(dialect);
  });
  afterAll(() => h.stop());

  const command = async (userId: string, name: string, options?: unknown[]) => {
    const sent = await h.discord.sendInteraction({
      type: 2,
      guildId: h.guildId,
      userId,
      data: { name, ...(options ? { options } : {}) },
    });
    expect(sent.failure).toBeNull();
    return sent.body as Reply;
  };
  const claim = (userId: string, code: string) =>
    command(userId, 'claim', [{ name: 'code', type: 3, value: code }]);
  const webPurchase = async (email: string) => {
    const ent = await h.entitlement({ name: 'Gold club' });
    const r = await h.t.api('/api/grants', { method: 'POST', body: { entitlement_id: ent, email } });
    expect(r.status).toBe(201);
    return {
      id: r.body.id as string,
      code: r.body.claim_code as string,
      customerId: r.body.customer_id as string,
    };
  };

  it('/claim CODE links the Discord user to the purchase and the roles arrive', async () => {
    const grant = await webPurchase('claimer@example.test');
    const user = h.member('claimer');
    const reply = await claim(user, grant.code.toLowerCase().replace('-', ' '));
    expect(reply.data?.flags).toBe(64);
    expect(reply.data?.content).toMatch(/^Linked!/);
    const customer = await h.t.app.ctx.db.kysely
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', grant.customerId)
      .executeTakeFirstOrThrow();
    expect(customer.discord_user_id).toBe(user);
    const link = await h.t.app.ctx.db.kysely
      .selectFrom('discord_links')
      .selectAll()
      .where('customer_id', '=', grant.customerId)
      .executeTakeFirstOrThrow();
    expect(link).toMatchObject({ discord_user_id: user, username: 'claimer', access_token_enc: null });
    await eventually(
      async () => h.discord.getMember(h.guildId, user)?.roles.includes(h.gold),
      15_000,
      'Gold role',
    );
  });

  it('a claim code is one-time: the same user may repeat it, anyone else is refused', async () => {
    const grant = await webPurchase('once@example.test');
    const owner = h.member('code-owner');
    const thief = h.member('code-thief');
    expect((await claim(owner, grant.code)).data?.content).toMatch(/^Linked!/);
    expect((await claim(thief, grant.code)).data?.content).toMatch(/already used by another Discord account/);
    expect((await claim(owner, grant.code)).data?.content).toMatch(/already linked to you/);
    const customer = await h.t.app.ctx.db.kysely
      .selectFrom('customers')
      .select('discord_user_id')
      .where('id', '=', grant.customerId)
      .executeTakeFirstOrThrow();
    expect(customer.discord_user_id).toBe(owner);
  });

  it('unknown and malformed codes get plain answers and change nothing', async () => {
    const before = await h.count('grant_claims');
    const user = h.member('guesser');
    expect((await claim(user, 'ZZZZ-ZZZZ')).data?.content).toMatch(/does not match any purchase/);
    expect((await claim(user, 'hello')).data?.content).toMatch(/does not look like a claim code/);
    expect(await h.count('grant_claims')).toBe(before);
  });

  it('/access lists the purchases and its button gives back roles lost by leaving and rejoining', async () => {
    const grant = await webPurchase('rejoiner@example.test');
    const user = h.member('rejoiner');
    await claim(user, grant.code);
    await eventually(
      async () => h.discord.getMember(h.guildId, user)?.roles.includes(h.gold),
      15_000,
      'Gold role',
    );
    await eventually(
      async () => (await h.t.api(`/api/grants/${grant.id}`)).body.status === 'delivered',
      15_000,
      'grant delivered',
    );

    const access = await command(user, 'access');
    expect(access.data?.flags).toBe(64);
    expect(access.data?.content).toMatch(/\*\*Gold club\*\*: active/);
    expect(access.data?.components?.[0]?.components[0]?.custom_id).toBe('resync');
    // The portal, one click away, signing in with this Discord account (and ephemeral: DMs may be closed).
    expect(access.data?.components?.[0]?.components[1]).toMatchObject({
      style: 5,
      url: `${h.t.url}/portal/sign-in/discord`,
    });

    h.discord.removeMember(h.guildId, user);
    h.discord.addMember(h.guildId, user);
    expect(h.discord.getMember(h.guildId, user)?.roles).toEqual([]);
    const pressed = await h.discord.sendInteraction({
      type: 3,
      guildId: h.guildId,
      userId: user,
      data: { custom_id: 'resync', component_type: 2 },
    });
    expect((pressed.body as Reply).data?.content).toMatch(/checking your roles/);
    await eventually(
      async () => h.discord.getMember(h.guildId, user)?.roles.includes(h.gold),
      15_000,
      'Gold role back',
    );
  });

  it('/access says so when the user has nothing on this server', async () => {
    const reply = await command(h.member('window-shopper'), 'access');
    expect(reply.data?.content).toMatch(/no purchases on/);
    expect(reply.data?.flags).toBe(64);
    expect(reply.data?.components?.[0]?.components[0]?.url).toBe(`${h.t.url}/portal/sign-in/discord`);
  });

  it('these happy paths cost no invalid requests (401/403/429) at Discord', () => {
    expect(h.discord.invalidRequestCount).toBe(0);
  });
});
