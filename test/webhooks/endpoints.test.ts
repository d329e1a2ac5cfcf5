import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describeEachBackend('webhook endpoints API', ({ dialect }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ dialect, worker: false });
  });
  afterAll(() => t.stop());

  const create = (body: unknown) => t.api('/api/webhook-endpoints', { method: 'POST', body });
  const counts = async () => {
    const db = t.app.ctx.db.kysely;
    const n = async (table: 'webhook_endpoints' | 'webhook_deliveries' | 'jobs') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      endpoints: await n('webhook_endpoints'),
      deliveries: await n('webhook_deliveries'),
      jobs: await n('jobs'),
    };
  };

  it('creating an endpoint returns a whsec_ secret of 32 random bytes, readable again through /secret', async () => {
    const res = await create({
      url: 'http://127.0.0.1:9/hook',
      description: 'orders',
      event_types: ['entitlement_grant.revoked'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^whe_/),
      object: 'webhook_endpoint',
      url: 'http://127.0.0.1:9/hook',
      description: 'orders',
      event_types: ['entitlement_grant.revoked'],
      enabled: true,
      disabled_reason: null,
      failing_since: null,
    });
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(Buffer.from(res.body.secret.slice(6), 'base64')).toHaveLength(32);

    const secret = await t.api(`/api/webhook-endpoints/${res.body.id}/secret`);
    expect(secret).toEqual({ status: 200, body: { secret: res.body.secret } });
    const got = await t.api(`/api/webhook-endpoints/${res.body.id}`);
    expect(got.body.secret).toBeUndefined();

    const stored = await t.app.ctx.db.kysely
      .selectFrom('webhook_endpoints')
      .select('secret_enc')
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_enc).not.toContain(res.body.secret.slice(6));
  });

  it('an unknown event type, a non-URL, an ftp URL or an unknown field is a 400 and writes nothing', async () => {
    const before = await counts();
    for (const body of [
      { url: 'http://127.0.0.1:9/', event_types: ['grant.exploded'] },
      { url: 'not a url' },
      { url: 'ftp://127.0.0.1/' },
      { url: 'http://127.0.0.1:9/', colour: 'red' },
      { url: 'http://127.0.0.1:9/', event_types: 'entitlement_grant.created' },
      { url: 'http://' + 'a'.repeat(3000) + '.com/' },
    ]) {
      const res = await create(body);
      expect([400, 422], JSON.stringify(body)).toContain(res.status);
      expect(res.body.error.code).toMatch(/validation_failed|unprocessable/);
    }
    expect(await counts()).toEqual(before);
  });

  it('lists endpoints newest first with cursor pagination and refuses a forged cursor', async () => {
    for (let i = 0; i < 3; i++) await create({ url: `http://127.0.0.1:9/page${i}` });
    const first = await t.api('/api/webhook-endpoints?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await t.api(`/api/webhook-endpoints?limit=2&cursor=${first.body.next_cursor}`);
    const ids = [...first.body.data, ...second.body.data].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect((await t.api('/api/webhook-endpoints?cursor=forged')).body.error.code).toBe('invalid_cursor');
  });

  it('PATCH changes the filter, disables, and re-enabling clears the reason and the failure streak', async () => {
    const { body: ep } = await create({ url: 'http://127.0.0.1:9/patch' });
    await t.app.ctx.db.kysely
      .updateTable('webhook_endpoints')
      .set({ enabled: 0, disabled_reason: 'the endpoint answered 410 Gone', failing_since: 1 })
      .where('id', '=', ep.id)
      .execute();
    const patched = await t.api(`/api/webhook-endpoints/${ep.id}`, {
      method: 'PATCH',
      body: { enabled: true, event_types: ['entitlement_grant.created'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      enabled: true,
      disabled_reason: null,
      failing_since: null,
      event_types: ['entitlement_grant.created'],
    });
    const off = await t.api(`/api/webhook-endpoints/${ep.id}`, { method: 'PATCH', body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, disabled_reason: 'disabled through the API' });
    const bad = await t.api(`/api/webhook-endpoints/${ep.id}`, {
      method: 'PATCH',
      body: { event_types: ['nope'] },
    });
    expect(bad.status).toBe(400);
  });

  it('DELETE removes the endpoint with its deliveries; later reads are 404', async () => {
    const { body: ep } = await create({ url: 'http://127.0.0.1:9/delete' });
    expect((await t.api(`/api/webhook-endpoints/${ep.id}/test`, { method: 'POST' })).status).toBe(202);
    const del = await t.api(`/api/webhook-endpoints/${ep.id}`, { method: 'DELETE' });
    expect(del).toEqual({ status: 200, body: { id: ep.id, object: 'webhook_endpoint', deleted: true } });
    expect((await t.api(`/api/webhook-endpoints/${ep.id}`)).status).toBe(404);
    expect((await t.api(`/api/webhook-endpoints/${ep.id}/deliveries`)).status).toBe(404);
    const left = await t.app.ctx.db.kysely
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('endpoint_id', '=', ep.id)
      .execute();
    expect(left).toEqual([]);
  });

  it('unknown and malformed endpoint ids are 404 on every route', async () => {
    for (const id of ['whe_00000000000000000000000000', 'nope', 'grt_00000000000000000000000000']) {
      expect((await t.api(`/api/webhook-endpoints/${id}`)).status).toBe(404);
      expect((await t.api(`/api/webhook-endpoints/${id}/secret`)).status).toBe(404);
      expect((await t.api(`/api/webhook-endpoints/${id}/deliveries`)).status).toBe(404);
      expect((await t.api(`/api/webhook-endpoints/${id}/test`, { method: 'POST' })).status).toBe(404);
      expect((await t.api(`/api/webhook-endpoints/${id}`, { method: 'DELETE' })).status).toBe(404);
    }
  });

  it('routes need an API key', async () => {
    const res = await fetch(`${t.url}/api/webhook-endpoints`);
    expect(res.status).toBe(401);
  });
});

describeEachBackend('webhook endpoints refuse private targets', ({ dialect }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ dialect, env: { WEBHOOKS_ALLOW_PRIVATE: 'false' } });
  });
  afterAll(() => t.stop());

  it.each([
    ['https://127.0.0.1/hook', /loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://10.1.2.3/hook', /private/],
    ['https://192.168.1.1/hook', /private/],
    ['https://169.254.169.254/latest/meta-data', /link-local.*metadata/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['https://[fd00::1]/', /unique-local/],
    ['https://[::ffff:127.0.0.1]/', /loopback/],
    ['https://localhost/hook', /internal host name/],
    ['https://metadata.google.internal/', /internal host name/],
    ['http://example.com/hook', /must use https/],
  ])('%s is refused at creation with 422 and a reason', async (url, reason) => {
    const res = await t.api('/api/webhook-endpoints', { method: 'POST', body: { url } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('unprocessable');
    expect(res.body.error.message).toMatch(reason);
    expect(res.body.error.message).toMatch(/WEBHOOKS_ALLOW_PRIVATE/);
  });

  it('an endpoint that has come to point at a private address is refused again at send time', async () => {
    // As if DNS changed after creation: the row holds a loopback address the create check never saw.
    const now = Date.now();
    await t.app.ctx.db.kysely
      .insertInto('webhook_endpoints')
      .values({
        id: 'whe_0000000000rebindrebindrebi',
        url: 'https://127.0.0.1:9/hook',
        description: '',
        secret_enc: t.app.ctx.secrets.encrypt(`whsec_${Buffer.alloc(32, 1).toString('base64')}`),
        event_types: '[]',
        enabled: 1,
        disabled_reason: null,
        failing_since: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const res = await t.api('/api/webhook-endpoints/whe_0000000000rebindrebindrebi/test', { method: 'POST' });
    expect(res.status).toBe(202);
    const attempt = await (async () => {
      for (let i = 0; i < 200; i++) {
        const row = await t.app.ctx.db.kysely
          .selectFrom('webhook_attempts')
          .selectAll()
          .where('delivery_id', '=', res.body.id)
          .executeTakeFirst();
        if (row) return row;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no attempt recorded');
    })();
    expect(attempt.status_code).toBeNull();
    expect(attempt.error).toMatch(/^refused: 127\.0\.0\.1 is a loopback address/);
  });
});
