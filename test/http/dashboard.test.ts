import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { newId } from '../../src/core/ids.js';
import { enqueue } from '../../src/adapters/store/queue.js';
import { pauseServer, resumeServer } from '../../src/app/access/servers.js';

describeEachBackend('REST API: alerts and overview', ({ dialect }) => {
  let t: TestApp;
  let serverId = '';
  let entId = '';
  const db = () => t.app.ctx.db.kysely;
  const grant = async (discord: string) => {
    const res = await t.api('/api/grants', {
      method: 'POST',
      body: { entitlement_id: entId, discord_user_id: discord },
    });
    return res.body.id as string;
  };
  const price = async (amount: number, interval: string, count = 1) => {
    const id = newId('price');
    await db()
      .insertInto('prices')
      .values({
        id,
        entitlement_id: entId,
        kind: 'recurring',
        amount,
        currency: 'usd',
        interval,
        interval_count: count,
        stripe_product_id: null,
        stripe_price_id: null,
        active: 1,
        created_at: Date.now(),
      })
      .execute();
    return id;
  };
  const alerts = async () =>
    (await t.api('/api/alerts')).body.data as { id: string; kind: string; count: number }[];

  beforeAll(async () => {
    t = await startTestApp({ dialect, worker: false });
    serverId = (await seedServer(t.app.ctx.db, { name: 'Alpha' })).id;
    entId = (
      await t.api('/api/entitlements', {
        method: 'POST',
        body: { server_id: serverId, name: 'Gold', access: { kind: 'lifetime' } },
      })
    ).body.id;
  });
  afterAll(() => t.stop());

  it('has nothing to say about a healthy instance', async () => {
    expect(await alerts()).toEqual([]);
  });

  it('raises a paused server, merchant-owned failures, dead jobs and a disabled endpoint — and drops what is fixed', async () => {
    await pauseServer(db(), serverId, 'The bot lost Manage Roles.', Date.now());
    for (const user of ['540000000000000001', '540000000000000002']) {
      const id = await grant(user);
      await db()
        .updateTable('grants')
        .set({
          status: 'failed',
          last_error_owner: 'merchant',
          last_error_code: 'role_above_bot',
          last_error_message: 'Move the role.',
        })
        .where('id', '=', id)
        .execute();
    }
    await enqueue(db(), t.app.ctx.db.dialect, { kind: 'test.never', payload: {} });
    await db().updateTable('jobs').set({ status: 'dead' }).where('kind', '=', 'test.never').execute();
    const ep = await t.api('/api/webhook-endpoints', {
      method: 'POST',
      body: { url: 'https://example.com/hook' },
    });
    await db()
      .updateTable('webhook_endpoints')
      .set({ enabled: 0, disabled_reason: 'It answered 410 Gone.' })
      .where('id', '=', ep.body.id)
      .execute();

    const list = await alerts();
    expect(list.map((a) => a.id)).toEqual([
      `server_paused:${serverId}`,
      `grants_failed:${serverId}:role_above_bot`,
      'jobs_dead:test.never',
      `webhook_endpoint_disabled:${ep.body.id}`,
    ]);
    expect(list[0]).toMatchObject({ severity: 'critical', message: 'The bot lost Manage Roles.' });
    expect(list[1]).toMatchObject({ count: 2, title: 'Alpha: 2 buyers are waiting for their roles' });

    await resumeServer(db(), serverId, Date.now());
    expect((await alerts()).map((a) => a.kind)).not.toContain('server_paused');
  });

  // The two failed manual grants of the previous test conferred access too: six new today.
  it('overview: members per entitlement, MRR per month, new and lost today', async () => {
    const yearly = await price(12_000, 'year');
    const monthly = await price(500, 'month');
    const trial = await price(9_900, 'month');
    const now = Date.now();
    const set = async (id: string, values: Record<string, unknown>) =>
      db().updateTable('grants').set(values).where('id', '=', id).execute();
    await set(await grant('540000000000000011'), { price_id: yearly, announced_at: now });
    await set(await grant('540000000000000012'), { price_id: monthly, announced_at: now });
    await set(await grant('540000000000000013'), {
      price_id: trial,
      stripe_status: 'trialing',
      announced_at: now,
    });
    const gone = await grant('540000000000000014');
    await set(gone, { announced_at: now });
    await t.api(`/api/grants/${gone}/revoke`, { method: 'POST', body: { reason: 'test' } });

    const res = await t.api('/api/overview');
    expect(res.status).toBe(200);
    const o = res.body;
    expect(o.mrr).toEqual([{ currency: 'usd', amount: 1_500, subscriptions: 2 }]);
    expect(o.entitlements).toEqual([
      expect.objectContaining({ id: entId, active_members: 5, server: { id: serverId, name: 'Alpha' } }),
    ]);
    expect(o.active_members).toBe(5);
    expect(o.last_30_days.days).toHaveLength(30);
    expect(o.last_30_days.days.at(-1)).toEqual({
      date: new Date(now).toISOString().slice(0, 10),
      new: 6,
      lost: 1,
    });
    expect(o.last_30_days).toMatchObject({ new: 6, lost: 1 });
    expect(o.attention.critical).toBe(1);
  });

  it('refuses query parameters', async () => {
    expect((await t.api('/api/overview?days=7')).status).toBe(400);
    expect((await t.api('/api/alerts?kind=x')).status).toBe(400);
  });
});
