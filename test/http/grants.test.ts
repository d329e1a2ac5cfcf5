import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { inTransaction } from '../../src/app/shared/context.js';
import { applyGrantEvent } from '../../src/app/grants/grants.js';

const START = Date.UTC(2026, 2, 1);

describeEachBackend('REST API: grants', ({ dialect }) => {
  let t: TestApp;
  let serverId: string;
  let subscription: string;
  let thirtyDays: string;
  const clock = new ManualClock(START);

  beforeAll(async () => {
    // No worker: the jobs a command queues stay visible; the clock stands still for exact times.
    t = await startTestApp({ dialect, worker: false, clock });
    const server = await seedServer(t.app.ctx.db, {
      guildId: '410000000000000000',
      roles: [{ id: '410000000000000011', name: 'VIP', position: 1 }],
    });
    serverId = server.id;
    const make = async (body: Record<string, unknown>) => {
      const res = await t.api('/api/entitlements', {
        method: 'POST',
        body: { server_id: serverId, name: 'VIP', role_ids: ['410000000000000011'], ...body },
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    subscription = await make({
      prices: [{ kind: 'recurring', amount: 900, currency: 'usd', interval: 'month' }],
      access: { kind: 'subscription' },
    });
    thirtyDays = await make({ access: { kind: 'days', days: 30 } });
  });
  afterAll(() => t.stop());

  const jobs = (kind: string) =>
    t.app.ctx.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', kind).orderBy('id').execute();
  const grant = (body: Record<string, unknown>) =>
    t.api('/api/grants', { method: 'POST', body: { entitlement_id: subscription, ...body } });

  it('a manual grant by email creates the customer once and emails them the invitation', async () => {
    const syncsBefore = (await jobs('member.sync')).length;
    const first = await grant({ email: 'Buyer@Example.com', note: 'friend of the team' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: 'entitlement_grant',
      status: 'pending',
      active: true,
      source: 'manual',
      note: 'friend of the team',
      ends_at: null,
      claim_code: expect.stringMatching(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/),
    });
    const second = await grant({ email: 'buyer@example.com', source: 'comp' });
    expect(second.body.customer_id).toBe(first.body.customer_id);
    expect(second.body.source).toBe('comp');
    const customer = await t.api(`/api/customers/${first.body.customer_id}`);
    expect(customer.body.email).toBe('buyer@example.com');
    const invites = (await jobs('grant.send_invitation')).map((j) => JSON.parse(j.payload).grantId);
    expect(invites).toEqual(expect.arrayContaining([first.body.id, second.body.id]));
    // Nothing to sync on Discord until the buyer links an account.
    expect(await jobs('member.sync')).toHaveLength(syncsBefore);
  });

  it('a grant for a Discord user queues their member sync, caused by the API key, and no invitation', async () => {
    const res = await grant({ discord_user_id: '510000000000000001' });
    expect(res.status).toBe(201);
    const sync = (await jobs('member.sync')).find(
      (j) => JSON.parse(j.payload).userId === '510000000000000001',
    );
    expect(JSON.parse(sync!.payload)).toEqual({
      serverId,
      userId: '510000000000000001',
      cause: expect.stringMatching(/^person:key_/),
    });
    const invites = (await jobs('grant.send_invitation')).map((j) => JSON.parse(j.payload).grantId);
    expect(invites).not.toContain(res.body.id);
  });

  it('an email whose customer is linked to another Discord account is a 409, not a silent mix-up', async () => {
    expect((await grant({ email: 'linked@example.com', discord_user_id: '510000000000000010' })).status).toBe(
      201,
    );
    const res = await grant({ email: 'linked@example.com', discord_user_id: '510000000000000011' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    const same = await grant({ email: 'linked@example.com', discord_user_id: '510000000000000010' });
    expect(same.status).toBe(201);
  });

  it('a grant of N-day access ends after N days and its expiry is scheduled at that end', async () => {
    const res = await grant({ entitlement_id: thirtyDays, discord_user_id: '510000000000000002' });
    expect(res.body.ends_at).toBe(new Date(START + 30 * DAY_MS).toISOString());
    const expiry = (await jobs('grant.expire')).find((j) => JSON.parse(j.payload).grantId === res.body.id);
    expect(expiry?.run_at).toBe(START + 30 * DAY_MS);
    const comp = await grant({ discord_user_id: '510000000000000002', days: 7, source: 'comp' });
    expect(comp.body.ends_at).toBe(new Date(START + 7 * DAY_MS).toISOString());
  });

  it.each([
    ['both customer_id and email', { customer_id: 'cus_0000000000aaaaaaaaaaaaaaaa', email: 'x@example.com' }],
    ['no customer at all', {}],
    ['both ends_at and days', { email: 'x@example.com', days: 3, ends_at: '2027-01-01T00:00:00Z' }],
    ['an end in the past', { email: 'x@example.com', ends_at: '2020-01-01T00:00:00Z' }],
  ])('refuses a grant with %s (400) and creates nothing', async (_what, body) => {
    const before = await t.app.ctx.db.kysely.selectFrom('customers').select('id').execute();
    const res = await grant(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await t.app.ctx.db.kysely.selectFrom('customers').select('id').execute()).toHaveLength(
      before.length,
    );
  });

  it('refuses a grant of an archived entitlement with 409 entitlement_not_for_sale', async () => {
    const ent = await t.api('/api/entitlements', {
      method: 'POST',
      body: { server_id: serverId, name: 'Old', access: { kind: 'lifetime' } },
    });
    await t.api(`/api/entitlements/${ent.body.id}/archive`, { method: 'POST' });
    const res = await grant({ entitlement_id: ent.body.id, email: 'late@example.com' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('entitlement_not_for_sale');
  });

  it('an unknown entitlement or customer is a 404', async () => {
    expect((await grant({ entitlement_id: 'ent_0000000000aaaaaaaaaaaaaaaa', email: 'a@b.co' })).status).toBe(
      404,
    );
    expect((await grant({ customer_id: 'cus_0000000000aaaaaaaaaaaaaaaa' })).status).toBe(404);
  });

  it('lists grants filtered by status, entitlement, customer and server, page by page', async () => {
    // Ids order by creation time to the millisecond; the frozen clock has to move to order them.
    const a = await grant({ email: 'lister@example.com' });
    clock.advance(1);
    const b = await grant({ email: 'lister@example.com' });
    clock.advance(1);
    const c = await grant({ email: 'lister@example.com' });
    clock.set(START);
    await t.api(`/api/grants/${b.body.id}/revoke`, { method: 'POST', body: { reason: 'test' } });
    const customer = a.body.customer_id;
    const page1 = await t.api(`/api/grants?customer_id=${customer}&limit=2`);
    expect(page1.body.data.map((g: { id: string }) => g.id)).toEqual([c.body.id, b.body.id]);
    const page2 = await t.api(`/api/grants?customer_id=${customer}&limit=2&cursor=${page1.body.next_cursor}`);
    expect(page2.body).toEqual({ data: [expect.objectContaining({ id: a.body.id })], next_cursor: null });
    const revoked = await t.api(`/api/grants?customer_id=${customer}&status=revoked`);
    expect(revoked.body.data.map((g: { id: string }) => g.id)).toEqual([b.body.id]);
    const byEnt = await t.api(`/api/grants?entitlement_id=${thirtyDays}&server_id=${serverId}&limit=100`);
    expect(byEnt.body.data.length).toBeGreaterThan(0);
    expect(byEnt.body.data.every((g: { entitlement_id: string }) => g.entitlement_id === thirtyDays)).toBe(
      true,
    );
  });

  it('shows a grant with its sync log, newest first', async () => {
    const g = (await grant({ discord_user_id: '510000000000000003' })).body;
    const entry = {
      server_id: serverId,
      discord_user_id: '510000000000000003',
      grant_id: g.id,
      role_id: '410000000000000011',
      error_code: null,
      error_owner: null,
      message: null,
      cause: `grant:${g.id}`,
    };
    await t.app.ctx.db.kysely
      .insertInto('sync_log')
      .values([
        {
          ...entry,
          action: 'add_role',
          outcome: 'failed',
          error_code: '50013',
          error_owner: 'merchant',
          created_at: START,
        },
        { ...entry, action: 'add_role', outcome: 'ok', created_at: START + 1000 },
      ])
      .execute();
    const res = await t.api(`/api/grants/${g.id}`);
    expect(res.status).toBe(200);
    expect(res.body.sync_log).toEqual([
      expect.objectContaining({
        action: 'add_role',
        outcome: 'ok',
        created_at: new Date(START + 1000).toISOString(),
      }),
      expect.objectContaining({ outcome: 'failed', error_code: '50013', error_owner: 'merchant' }),
    ]);
  });

  it('revokes a grant once; revoking again is 409 invalid_transition and changes nothing', async () => {
    const g = (await grant({ email: 'revoke@example.com' })).body;
    const res = await t.api(`/api/grants/${g.id}/revoke`, { method: 'POST', body: { reason: 'chargeback' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'revoked', active: false, status_reason: 'chargeback' });
    const again = await t.api(`/api/grants/${g.id}/revoke`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('invalid_transition');
    expect((await t.api(`/api/grants/${g.id}`)).body.status_reason).toBe('chargeback');
  });

  it('extends a grant by days past its end and reschedules its expiry', async () => {
    const g = (await grant({ entitlement_id: thirtyDays, discord_user_id: '510000000000000004' })).body;
    const res = await t.api(`/api/grants/${g.id}/extend`, { method: 'POST', body: { days: 10 } });
    expect(res.status).toBe(200);
    expect(res.body.ends_at).toBe(new Date(START + 40 * DAY_MS).toISOString());
    const runAts = (await jobs('grant.expire'))
      .filter((j) => JSON.parse(j.payload).grantId === g.id)
      .map((j) => j.run_at);
    expect(runAts).toContain(START + 40 * DAY_MS);
    const to = new Date(START + 90 * DAY_MS).toISOString();
    const explicit = await t.api(`/api/grants/${g.id}/extend`, { method: 'POST', body: { ends_at: to } });
    expect(explicit.body.ends_at).toBe(to);
  });

  it('refuses to shorten a grant, to extend one without an end, or to extend a revoked one', async () => {
    const g = (await grant({ entitlement_id: thirtyDays, email: 'ext@example.com' })).body;
    const earlier = new Date(START + 5 * DAY_MS).toISOString();
    const shorter = await t.api(`/api/grants/${g.id}/extend`, { method: 'POST', body: { ends_at: earlier } });
    expect(shorter.status).toBe(422);
    const open = (await grant({ email: 'ext@example.com' })).body;
    expect((await t.api(`/api/grants/${open.id}/extend`, { method: 'POST', body: { days: 1 } })).status).toBe(
      422,
    );
    await t.api(`/api/grants/${g.id}/revoke`, { method: 'POST' });
    const revoked = await t.api(`/api/grants/${g.id}/extend`, { method: 'POST', body: { days: 1 } });
    expect(revoked.status).toBe(409);
    expect(revoked.body.error.code).toBe('invalid_transition');
  });

  it('retry re-queues the member sync of a failed grant now, and refuses delivered or unlinked grants', async () => {
    const { ctx } = t.app;
    const g = (await grant({ discord_user_id: '510000000000000005' })).body;
    await inTransaction(ctx, (tx) =>
      applyGrantEvent(ctx, tx, g.id, 'delivery_failed', {
        cause: 'test',
        error: { code: 'role_above_bot', message: 'move the role', owner: 'merchant' },
      }),
    );
    await ctx.db.kysely.deleteFrom('jobs').where('kind', '=', 'member.sync').execute();
    const res = await t.api(`/api/grants/${g.id}/retry`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('failed');
    const [sync] = await jobs('member.sync');
    expect(JSON.parse(sync!.payload).userId).toBe('510000000000000005');
    expect(sync!.run_at).toBe(START);

    await inTransaction(ctx, (tx) => applyGrantEvent(ctx, tx, g.id, 'delivery_succeeded', { cause: 'test' }));
    const delivered = await t.api(`/api/grants/${g.id}/retry`, { method: 'POST' });
    expect(delivered.status).toBe(409);
    expect(delivered.body.error.code).toBe('invalid_transition');

    const unlinked = (await grant({ email: 'nolink@example.com' })).body;
    const res2 = await t.api(`/api/grants/${unlinked.id}/retry`, { method: 'POST' });
    expect(res2.status).toBe(422);
    expect(res2.body.error.message).toMatch(/resend-invitation/);
  });

  it('resends the invitation as a queued job, once per burst, and not for a revoked grant', async () => {
    const g = (await grant({ email: 'invite@example.com' })).body;
    await t.app.ctx.db.kysely.deleteFrom('jobs').where('kind', '=', 'grant.send_invitation').execute();
    expect((await t.api(`/api/grants/${g.id}/resend-invitation`, { method: 'POST' })).status).toBe(202);
    expect((await t.api(`/api/grants/${g.id}/resend-invitation`, { method: 'POST' })).status).toBe(202);
    const invites = await jobs('grant.send_invitation');
    expect(invites.map((j) => JSON.parse(j.payload))).toEqual([
      { grantId: g.id, cause: expect.stringMatching(/^person:key_/) },
    ]);
    await t.api(`/api/grants/${g.id}/revoke`, { method: 'POST' });
    const res = await t.api(`/api/grants/${g.id}/resend-invitation`, { method: 'POST' });
    expect(res.status).toBe(409);
  });

  it('resending to a customer without an email is 422', async () => {
    const g = (await grant({ discord_user_id: '510000000000000006' })).body;
    const res = await t.api(`/api/grants/${g.id}/resend-invitation`, { method: 'POST' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unprocessable');
  });

  it('documents every grant and customer route in the OpenAPI document', async () => {
    const doc = (await t.api('/api/openapi.json')).body;
    const routes: [string, string, string][] = [
      ['/api/grants', 'get', 'grants'],
      ['/api/grants', 'post', 'grants'],
      ['/api/grants/{id}', 'get', 'grants'],
      ['/api/grants/{id}/revoke', 'post', 'grants'],
      ['/api/grants/{id}/extend', 'post', 'grants'],
      ['/api/grants/{id}/retry', 'post', 'grants'],
      ['/api/grants/{id}/resend-invitation', 'post', 'grants'],
      ['/api/customers', 'get', 'customers'],
      ['/api/customers', 'post', 'customers'],
      ['/api/customers/{id}', 'get', 'customers'],
    ];
    for (const [path, method, tag] of routes) {
      expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual([tag]);
      expect(doc.paths[path][method].summary).toEqual(expect.any(String));
    }
  });
});
