import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';

describeEachBackend('REST API: customers', ({ dialect }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ dialect, worker: false });
  });
  afterAll(() => t.stop());

  const create = (body: Record<string, unknown>) => t.api('/api/customers', { method: 'POST', body });

  it('creates a customer with a lowercased email and reads it back', async () => {
    const res = await create({ email: 'Ada@Example.com', name: 'Ada' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^cus_/),
      object: 'customer',
      email: 'ada@example.com',
      name: 'Ada',
      discord_user_id: null,
    });
    const got = await t.api(`/api/customers/${res.body.id}`);
    expect(got.body).toEqual({ ...res.body, grants: [] });
  });

  it('a second customer with the same email is a 409 naming the first', async () => {
    const first = await create({ email: 'twice@example.com' });
    const second = await create({ email: 'TWICE@example.com' });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conflict');
    expect(second.body.error.message).toContain(first.body.id);
  });

  it('finds customers by email or Discord account, page by page', async () => {
    for (const n of [1, 2, 3]) await create({ email: `page${n}@example.com` });
    const byEmail = await t.api('/api/customers?email=PAGE2@example.com');
    expect(byEmail.body.data.map((c: { email: string }) => c.email)).toEqual(['page2@example.com']);
    const page1 = await t.api('/api/customers?limit=2');
    expect(page1.body.data).toHaveLength(2);
    const page2 = await t.api(`/api/customers?limit=2&cursor=${page1.body.next_cursor}`);
    const seen = [...page1.body.data, ...page2.body.data].map((c: { id: string }) => c.id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('shows a customer with their grants', async () => {
    const server = await seedServer(t.app.ctx.db, { roles: [] });
    const ent = await t.api('/api/entitlements', {
      method: 'POST',
      body: { server_id: server.id, name: 'Member', access: { kind: 'lifetime' } },
    });
    const g = await t.api('/api/grants', {
      method: 'POST',
      body: { entitlement_id: ent.body.id, discord_user_id: '520000000000000001' },
    });
    const byDiscord = await t.api('/api/customers?discord_user_id=520000000000000001');
    expect(byDiscord.body.data.map((c: { id: string }) => c.id)).toEqual([g.body.customer_id]);
    const res = await t.api(`/api/customers/${g.body.customer_id}`);
    expect(res.body.discord_user_id).toBe('520000000000000001');
    expect(res.body.grants).toEqual([
      expect.objectContaining({ id: g.body.id, entitlement_id: ent.body.id }),
    ]);
  });

  it('an unknown or malformed customer id is a 404', async () => {
    expect((await t.api('/api/customers/cus_0000000000aaaaaaaaaaaaaaaa')).status).toBe(404);
    expect((await t.api('/api/customers/ent_0000000000aaaaaaaaaaaaaaaa')).status).toBe(404);
  });
});
