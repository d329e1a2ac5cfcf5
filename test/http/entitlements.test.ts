import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';

const GUILD = '400000000000000000';
const roles = {
  gold: '400000000000000011',
  silver: '400000000000000012',
  bronze: '400000000000000013',
  admin: '400000000000000014',
  booster: '400000000000000015',
};

describeEachBackend('REST API: entitlements', ({ dialect }) => {
  let t: TestApp;
  let serverId: string;

  beforeAll(async () => {
    // No worker: queued member syncs stay in the jobs table where the tests can see them.
    t = await startTestApp({ dialect, worker: false });
    const server = await seedServer(t.app.ctx.db, {
      guildId: GUILD,
      botTopPosition: 10,
      roles: [
        { id: roles.gold, name: 'Gold', position: 3 },
        { id: roles.silver, name: 'Silver', position: 2 },
        { id: roles.bronze, name: 'Bronze', position: 1 },
        { id: roles.admin, name: 'Admin', position: 20 },
        { id: roles.booster, name: 'Server Booster', position: 4, managed: true },
      ],
    });
    serverId = server.id;
  });
  afterAll(() => t.stop());

  const create = (overrides: Record<string, unknown> = {}) =>
    t.api('/api/entitlements', {
      method: 'POST',
      body: {
        server_id: serverId,
        name: 'Gold membership',
        role_ids: [roles.gold],
        prices: [{ kind: 'recurring', amount: 500, currency: 'USD', interval: 'month' }],
        access: { kind: 'subscription' },
        ...overrides,
      },
    });

  it('creates an entitlement with defaults, lowercases the currency and reads it back', async () => {
    const res = await create({ description: 'Monthly gold' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^ent_/),
      object: 'entitlement',
      server_id: serverId,
      name: 'Gold membership',
      description: 'Monthly gold',
      role_ids: [roles.gold],
      access: { kind: 'subscription', days: null },
      revoke_action: 'remove_roles',
      grace_days: 3,
      archived: false,
    });
    expect(res.body.prices).toEqual([
      expect.objectContaining({
        kind: 'recurring',
        amount: 500,
        currency: 'usd',
        interval: 'month',
        interval_count: 1,
      }),
    ]);
    const got = await t.api(`/api/entitlements/${res.body.id}`);
    expect(got).toEqual({ status: 200, body: res.body });
  });

  it('an entitlement with no roles sells membership of the server only', async () => {
    const res = await create({
      role_ids: [],
      prices: [{ kind: 'one_time', amount: 1000, currency: 'eur' }],
      access: { kind: 'days', days: 30 },
    });
    expect(res.status).toBe(201);
    expect(res.body.access).toEqual({ kind: 'days', days: 30 });
  });

  it.each([
    ['a role above the bot', roles.admin, /Move the "Rolegate" role above "Admin"/],
    ['@everyone', GUILD, /@everyone cannot be sold/],
    ['a managed role', roles.booster, /managed by an integration/],
    ['a role the server does not have', '400000000000000099', /no longer exists/],
  ])('refuses %s with 422 role_not_grantable and says how to fix it', async (_what, roleId, message) => {
    const before = await t.api('/api/entitlements?limit=100');
    const res = await create({ role_ids: [roles.silver, roleId] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('role_not_grantable');
    expect(res.body.error.message).toMatch(message);
    expect((await t.api('/api/entitlements?limit=100')).body.data).toHaveLength(before.body.data.length);
  });

  it('refuses a swap fallback role the bot cannot give', async () => {
    const res = await create({ revoke_action: 'swap', fallback_role_id: roles.admin });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('role_not_grantable');
  });

  it.each([
    [
      'subscription access without a recurring price',
      { prices: [{ kind: 'one_time', amount: 1, currency: 'usd' }] },
    ],
    ['days access without days', { access: { kind: 'days' } }],
    ['a recurring price on lifetime access', { access: { kind: 'lifetime' } }],
    ['a trial without a subscription', { access: { kind: 'lifetime' }, prices: [], trial_days: 7 }],
    ['swap without a fallback role', { revoke_action: 'swap' }],
    ['a fallback role without swap', { fallback_role_id: roles.bronze }],
    [
      'a billing interval over one year',
      { prices: [{ kind: 'recurring', amount: 1, currency: 'usd', interval: 'month', interval_count: 13 }] },
    ],
    ['the same role twice', { role_ids: [roles.gold, roles.gold] }],
  ])('refuses %s with 400 validation_failed', async (_what, overrides) => {
    const res = await create(overrides);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('pages through the list newest first with an opaque cursor', async () => {
    const { ctx } = t.app;
    const other = await seedServer(ctx.db, { guildId: '400000000000001000', roles: [] });
    const made: string[] = [];
    for (const name of ['one', 'two', 'three']) {
      const res = await create({ server_id: other.id, name, role_ids: [] });
      made.push(res.body.id);
    }
    const first = await t.api(`/api/entitlements?server_id=${other.id}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data.map((e: { name: string }) => e.name)).toEqual(['three', 'two']);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    expect(first.body.next_cursor).not.toContain('ent_');
    const second = await t.api(
      `/api/entitlements?server_id=${other.id}&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.data.map((e: { name: string }) => e.name)).toEqual(['one']);
    expect(second.body.next_cursor).toBeNull();
  });

  it('updates only the fields given, and an unchanged price keeps its id', async () => {
    const created = (await create()).body;
    const res = await t.api(`/api/entitlements/${created.id}`, {
      method: 'PATCH',
      body: {
        name: 'Gold plus',
        prices: [
          { kind: 'recurring', amount: 500, currency: 'usd', interval: 'month' },
          { kind: 'recurring', amount: 5000, currency: 'usd', interval: 'year' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Gold plus');
    expect(res.body.role_ids).toEqual([roles.gold]);
    expect(res.body.prices).toHaveLength(2);
    expect(res.body.prices[0].id).toBe(created.prices[0].id);
  });

  it('refuses an update that adds a role the bot cannot give, and changes nothing', async () => {
    const created = (await create()).body;
    const res = await t.api(`/api/entitlements/${created.id}`, {
      method: 'PATCH',
      body: { name: 'Renamed', role_ids: [roles.gold, roles.admin] },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('role_not_grantable');
    expect((await t.api(`/api/entitlements/${created.id}`)).body).toEqual(created);
  });

  it('changing the roles queues a member sync for every holder of a live grant, and only for them', async () => {
    const { kysely } = t.app.ctx.db;
    const ent = (await create()).body;
    const grant = (discordUserId: string | undefined, email: string) =>
      t.api('/api/grants', {
        method: 'POST',
        body: { entitlement_id: ent.id, email, ...(discordUserId ? { discord_user_id: discordUserId } : {}) },
      });
    expect((await grant('500000000000000001', 'a@example.com')).status).toBe(201);
    expect((await grant('500000000000000002', 'b@example.com')).status).toBe(201);
    const revoked = await grant('500000000000000003', 'c@example.com');
    expect((await t.api(`/api/grants/${revoked.body.id}/revoke`, { method: 'POST' })).status).toBe(200);
    expect((await grant(undefined, 'unlinked@example.com')).status).toBe(201);
    await kysely.deleteFrom('jobs').where('kind', '=', 'member.sync').execute();

    const res = await t.api(`/api/entitlements/${ent.id}`, {
      method: 'PATCH',
      body: { role_ids: [roles.silver] },
    });
    expect(res.status).toBe(200);
    const syncs = await kysely
      .selectFrom('jobs')
      .select(['payload'])
      .where('kind', '=', 'member.sync')
      .execute();
    const users = syncs
      .map((j) => (JSON.parse(j.payload) as { userId: string; cause: string }).userId)
      .sort();
    expect(users).toEqual(['500000000000000001', '500000000000000002']);
    expect(JSON.parse(syncs[0]!.payload).cause).toMatch(/^person:key_/);

    // A change that leaves the roles alone costs no syncs.
    await kysely.deleteFrom('jobs').where('kind', '=', 'member.sync').execute();
    await t.api(`/api/entitlements/${ent.id}`, { method: 'PATCH', body: { description: 'same roles' } });
    expect(await kysely.selectFrom('jobs').select('id').where('kind', '=', 'member.sync').execute()).toEqual(
      [],
    );
  });

  it('archives an entitlement (twice is harmless) and the list can leave archived ones out', async () => {
    const ent = (await create({ name: 'Retired' })).body;
    const first = await t.api(`/api/entitlements/${ent.id}/archive`, { method: 'POST' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ archived: true, archived_at: expect.any(String) });
    const again = await t.api(`/api/entitlements/${ent.id}/archive`, { method: 'POST' });
    expect(again.body.archived_at).toBe(first.body.archived_at);
    const onSale = await t.api(`/api/entitlements?server_id=${serverId}&archived=false&limit=100`);
    expect(onSale.body.data.map((e: { id: string }) => e.id)).not.toContain(ent.id);
    const archived = await t.api(`/api/entitlements?server_id=${serverId}&archived=true&limit=100`);
    expect(archived.body.data.map((e: { id: string }) => e.id)).toEqual([ent.id]);
  });

  it('restores an archived entitlement to sale (twice is harmless); an unknown id is 404', async () => {
    const ent = (await create({ name: 'Back again' })).body;
    await t.api(`/api/entitlements/${ent.id}/archive`, { method: 'POST' });
    const restored = await t.api(`/api/entitlements/${ent.id}/restore`, { method: 'POST' });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id: ent.id, archived: false, archived_at: null });
    const again = await t.api(`/api/entitlements/${ent.id}/restore`, { method: 'POST' });
    expect(again.body).toMatchObject({ archived: false, updated_at: restored.body.updated_at });
    const onSale = await t.api(`/api/entitlements?server_id=${serverId}&archived=false&limit=100`);
    expect(onSale.body.data.map((e: { id: string }) => e.id)).toContain(ent.id);
    const unknown = await t.api('/api/entitlements/ent_0000000000aaaaaaaaaaaaaaaa/restore', {
      method: 'POST',
    });
    expect(unknown.status).toBe(404);
  });

  it('unknown and malformed ids are both 404 not_found', async () => {
    for (const id of ['ent_0000000000aaaaaaaaaaaaaaaa', 'nope', 'grt_0000000000aaaaaaaaaaaaaaaa']) {
      const res = await t.api(`/api/entitlements/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('documents the entitlement routes in the OpenAPI document with tags and summaries', async () => {
    const doc = (await t.api('/api/openapi.json')).body;
    const post = doc.paths['/api/entitlements'].post;
    expect(post.tags).toEqual(['entitlements']);
    expect(post.summary).toBe('Create an entitlement');
    expect(post.requestBody.content['application/json'].schema.properties).toHaveProperty('revoke_action');
    expect(doc.paths['/api/entitlements/{id}'].patch.summary).toBe('Update an entitlement');
  });
});
