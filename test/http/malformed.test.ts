import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import type { Db } from '../../src/adapters/store/db.js';
import { encodeCursor } from '../../src/http/pagination.js';

/**
 * Every kind of malformed request gets a 4xx in the one error shape, and leaves the database
 * exactly as it was: no partial write, no stray job.
 */

/** Every row of every table, as sorted JSON, so any write shows up as a difference. */
async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const tables =
    db.dialect === 'sqlite'
      ? await sql<{
          name: string;
        }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(
          db.kysely,
        )
      : await sql<{
          name: string;
        }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`.execute(db.kysely);
  const out: Record<string, string[]> = {};
  for (const { name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(name)}`.execute(db.kysely);
    out[name] = rows.rows
      .map((r) => {
        // An API key's last use is recorded at most once a minute by design; it is not a write of the request's.
        if (name === 'api_keys') delete r.last_used_at;
        return JSON.stringify(r);
      })
      .sort();
  }
  return out;
}

interface Case {
  method?: string;
  path: string | (() => string);
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  code?: string;
}

describeEachBackend('malformed API requests', ({ dialect }) => {
  let t: TestApp;
  let before: Record<string, string[]>;
  const ids = { server: '', entitlement: '', customer: '', grant: '', revokedGrant: '', archived: '' };
  const GUILD = '430000000000000000';
  const ROLE = '430000000000000011';
  const ROLE_ABOVE_BOT = '430000000000000012';

  beforeAll(async () => {
    // No worker: queued jobs must stay put so the snapshot compares like with like.
    t = await startTestApp({ dialect, worker: false });
    const server = await seedServer(t.app.ctx.db, {
      guildId: GUILD,
      botTopPosition: 5,
      roles: [
        { id: ROLE, name: 'Member', position: 1 },
        { id: ROLE_ABOVE_BOT, name: 'Mods', position: 9 },
      ],
    });
    ids.server = server.id;
    const ent = await t.api('/api/entitlements', {
      method: 'POST',
      body: {
        server_id: server.id,
        name: 'Member',
        role_ids: [ROLE],
        prices: [{ kind: 'one_time', amount: 1000, currency: 'usd' }],
        access: { kind: 'days', days: 30 },
      },
    });
    ids.entitlement = ent.body.id;
    const archived = await t.api('/api/entitlements', {
      method: 'POST',
      body: { server_id: server.id, name: 'Old', access: { kind: 'lifetime' } },
    });
    ids.archived = archived.body.id;
    await t.api(`/api/entitlements/${ids.archived}/archive`, { method: 'POST' });
    const grant = await t.api('/api/grants', {
      method: 'POST',
      body: {
        entitlement_id: ids.entitlement,
        email: 'taken@example.com',
        discord_user_id: '530000000000000001',
      },
    });
    ids.grant = grant.body.id;
    ids.customer = grant.body.customer_id;
    const revoked = await t.api('/api/grants', {
      method: 'POST',
      body: { entitlement_id: ids.entitlement, customer_id: ids.customer },
    });
    ids.revokedGrant = revoked.body.id;
    await t.api(`/api/grants/${ids.revokedGrant}/revoke`, { method: 'POST' });
    before = await snapshot(t.app.ctx.db);
  });
  afterAll(() => t.stop());

  const validEntitlement = () => ({
    server_id: ids.server,
    name: 'Gold',
    role_ids: [ROLE],
    prices: [{ kind: 'one_time', amount: 500, currency: 'usd' }],
    access: { kind: 'lifetime' },
  });
  // Bodies are built when the case runs: the seeded ids do not exist yet while cases are declared.
  const entitlement = (patch: Record<string, unknown>) => () => ({ ...validEntitlement(), ...patch });
  const price = (patch: Record<string, unknown>) =>
    entitlement({ prices: [{ kind: 'one_time', amount: 500, currency: 'usd', ...patch }] });
  const json = { 'content-type': 'application/json' };

  const refused = (
    status: number,
    code: string | undefined,
    method: string,
    path: Case['path'],
    body?: unknown,
    headers?: Record<string, string>,
  ): Case => ({
    method,
    path,
    status,
    ...(code === undefined ? {} : { code }),
    ...(body === undefined ? {} : { body }),
    ...(headers === undefined ? {} : { headers }),
  });
  const badEntitlement = (body: unknown) =>
    refused(400, 'validation_failed', 'POST', '/api/entitlements', body);

  const cases: Record<string, Case> = {
    'malformed JSON': refused(400, 'invalid_json', 'POST', '/api/entitlements', '{"name": "Gold",'),
    'a body that is not JSON at all': refused(
      400,
      'invalid_json',
      'POST',
      '/api/customers',
      'email=a@b.co',
      json,
    ),
    'a content type the API does not speak': refused(
      415,
      'unsupported_media_type',
      'POST',
      '/api/customers',
      '<customer><email>a@b.co</email></customer>',
      { 'content-type': 'application/xml' },
    ),
    // The API reads JSON only: a text/plain body is refused before any parsing.
    'a JSON document sent as text/plain': refused(
      415,
      'unsupported_media_type',
      'POST',
      '/api/customers',
      '{"email":"a@b.co"}',
      { 'content-type': 'text/plain' },
    ),
    'an empty body declared as JSON': refused(400, 'invalid_json', 'POST', '/api/customers', '', json),
    'no body where one is required': refused(400, 'validation_failed', 'POST', '/api/entitlements'),
    'a JSON array instead of an object': refused(400, 'validation_failed', 'POST', '/api/customers', [
      { email: 'a@b.co' },
    ]),
    'JSON null as the body': refused(400, undefined, 'POST', '/api/customers', 'null', json),
    'a number where a string belongs': badEntitlement(entitlement({ name: 123 })),
    'a string where an array belongs': badEntitlement(entitlement({ role_ids: ROLE })),
    'a missing required field': badEntitlement(entitlement({ access: undefined })),
    'a negative amount': badEntitlement(price({ amount: -500 })),
    'a fractional amount': badEntitlement(price({ amount: 4.99 })),
    'a zero amount': badEntitlement(price({ amount: 0 })),
    'an amount as a string': badEntitlement(price({ amount: '500' })),
    'an astronomically large amount': badEntitlement(price({ amount: 1e20 })),
    'a currency that is not three letters': badEntitlement(price({ currency: 'dollars' })),
    'a currency that is not ISO 4217': badEntitlement(price({ currency: 'ZZZ' })),
    'an unknown price kind': badEntitlement(price({ kind: 'weekly' })),
    'an unknown top-level field': badEntitlement(entitlement({ colour: 'gold' })),
    'an unknown nested field': badEntitlement(price({ tax: 1 })),
    'a name over 100 characters': badEntitlement(entitlement({ name: 'x'.repeat(101) })),
    'a description over 1000 characters': badEntitlement(entitlement({ description: 'x'.repeat(1001) })),
    'a note over 500 characters': refused(400, 'validation_failed', 'POST', '/api/grants', () => ({
      entitlement_id: ids.entitlement,
      customer_id: ids.customer,
      note: 'x'.repeat(501),
    })),
    'a blank name': badEntitlement(entitlement({ name: '   ' })),
    'a NUL character in a string': badEntitlement(entitlement({ name: 'Gold\u0000' })),
    'a role id that is not a snowflake': badEntitlement(entitlement({ role_ids: ['gold'] })),
    'a malformed server id in the body': badEntitlement(entitlement({ server_id: 'server-1' })),
    'an unknown server id in the body': refused(
      404,
      'not_found',
      'POST',
      '/api/entitlements',
      entitlement({ server_id: 'srv_0000000000aaaaaaaaaaaaaaaa' }),
    ),
    'an unknown entitlement in a grant': refused(404, 'not_found', 'POST', '/api/grants', () => ({
      entitlement_id: 'ent_0000000000aaaaaaaaaaaaaaaa',
      customer_id: ids.customer,
    })),
    'an impossible calendar date': badEntitlement(entitlement({ sale_ends_at: '2026-02-30T00:00:00Z' })),
    'a date in words': badEntitlement(entitlement({ sale_ends_at: 'next tuesday' })),
    'days access without days': badEntitlement(entitlement({ access: { kind: 'days' } })),
    'an unknown access kind': badEntitlement(entitlement({ access: { kind: 'forever' } })),
    'swap without a fallback role': badEntitlement(entitlement({ revoke_action: 'swap' })),
    'a role the bot cannot give': refused(
      422,
      'role_not_grantable',
      'POST',
      '/api/entitlements',
      entitlement({ role_ids: [ROLE_ABOVE_BOT] }),
    ),
    'a PATCH adding a role the bot cannot give': refused(
      422,
      'role_not_grantable',
      'PATCH',
      () => `/api/entitlements/${ids.entitlement}`,
      { name: 'New', role_ids: [ROLE, ROLE_ABOVE_BOT] },
    ),
    'a PATCH of a field that cannot change': refused(
      400,
      'validation_failed',
      'PATCH',
      () => `/api/entitlements/${ids.entitlement}`,
      () => ({ server_id: ids.server }),
    ),
    'a PATCH of an unknown entitlement': refused(
      404,
      'not_found',
      'PATCH',
      '/api/entitlements/ent_0000000000aaaaaaaaaaaaaaaa',
      { name: 'x' },
    ),
    'a malformed id in the path': { path: '/api/entitlements/42', status: 404, code: 'not_found' },
    'an id of another kind in the path': refused(
      404,
      'not_found',
      'GET',
      () => `/api/grants/${ids.entitlement}`,
    ),
    'an unknown grant id': refused(404, 'not_found', 'GET', '/api/grants/grt_0000000000aaaaaaaaaaaaaaaa'),
    'a cursor that is not base64': refused(400, 'invalid_cursor', 'GET', '/api/grants?cursor=%25%25%25'),
    'a cursor someone made up': refused(
      400,
      'invalid_cursor',
      'GET',
      `/api/grants?cursor=${Buffer.from('v1:hello').toString('base64url')}`,
    ),
    "another list's cursor": refused(
      400,
      'invalid_cursor',
      'GET',
      () => `/api/entitlements?cursor=${encodeCursor(ids.grant)}`,
    ),
    'a zero limit': { path: '/api/grants?limit=0', status: 400, code: 'validation_failed' },
    'a limit over the maximum': refused(400, 'validation_failed', 'GET', '/api/customers?limit=100000'),
    'a limit that is not a number': refused(400, 'validation_failed', 'GET', '/api/entitlements?limit=ten'),
    'an unknown status filter': { path: '/api/grants?status=active', status: 400, code: 'validation_failed' },
    'a malformed id filter': { path: '/api/grants?customer_id=42', status: 400, code: 'validation_failed' },
    'an unknown query parameter': refused(400, 'validation_failed', 'GET', '/api/grants?stauts=failed'),
    'a malformed email': refused(400, 'validation_failed', 'POST', '/api/customers', {
      email: 'not-an-email',
    }),
    'a customer whose email is taken': refused(409, 'conflict', 'POST', '/api/customers', {
      email: 'TAKEN@example.com',
    }),
    'a grant naming the customer twice': refused(400, 'validation_failed', 'POST', '/api/grants', () => ({
      entitlement_id: ids.entitlement,
      customer_id: ids.customer,
      email: 'x@example.com',
    })),
    'a grant of an archived entitlement': refused(
      409,
      'entitlement_not_for_sale',
      'POST',
      '/api/grants',
      () => ({ entitlement_id: ids.archived, email: 'new@example.com' }),
    ),
    'revoking a revoked grant': refused(
      409,
      'invalid_transition',
      'POST',
      () => `/api/grants/${ids.revokedGrant}/revoke`,
    ),
    'extending a revoked grant': refused(
      409,
      'invalid_transition',
      'POST',
      () => `/api/grants/${ids.revokedGrant}/extend`,
      { days: 5 },
    ),
    'retrying a revoked grant': refused(
      409,
      'invalid_transition',
      'POST',
      () => `/api/grants/${ids.revokedGrant}/retry`,
    ),
    'extending by negative days': refused(
      400,
      'validation_failed',
      'POST',
      () => `/api/grants/${ids.grant}/extend`,
      { days: -3 },
    ),
    'extending with both ends_at and days': refused(
      400,
      'validation_failed',
      'POST',
      () => `/api/grants/${ids.grant}/extend`,
      { days: 3, ends_at: '2099-01-01T00:00:00Z' },
    ),
    'a revoke reason of the wrong type': refused(
      400,
      'validation_failed',
      'POST',
      () => `/api/grants/${ids.grant}/revoke`,
      { reason: ['x'] },
    ),
    'a body over the size limit': refused(
      413,
      'payload_too_large',
      'POST',
      '/api/customers',
      JSON.stringify({ email: 'a@b.co', name: 'x'.repeat(1_100_000) }),
      json,
    ),
    'no API key': { path: '/api/grants', headers: { authorization: '' }, status: 401, code: 'unauthorized' },
    'an unknown API key': refused(401, 'unauthorized', 'GET', '/api/grants', undefined, {
      authorization: 'Bearer rg_not-a-real-key',
    }),
    // Authentication comes first (onRequest): nothing about the request is looked at without a key.
    'no API key and a malformed body': refused(401, 'unauthorized', 'POST', '/api/entitlements', '{"name":', {
      ...json,
      authorization: '',
    }),
    'no API key and an invalid body': refused(
      401,
      'unauthorized',
      'POST',
      '/api/customers',
      { email: 1 },
      {
        authorization: '',
      },
    ),
    'no API key and an unknown query parameter': refused(
      401,
      'unauthorized',
      'GET',
      '/api/grants?x=1',
      undefined,
      {
        authorization: '',
      },
    ),
    'an API key in the wrong scheme': refused(
      401,
      'unauthorized',
      'POST',
      '/api/customers',
      { email: 'x@example.com' },
      { authorization: 'Basic dXNlcjpwYXNz' },
    ),
    'a route that does not exist': refused(
      404,
      'not_found',
      'DELETE',
      () => `/api/entitlements/${ids.entitlement}`,
    ),
  };

  it('covers at least 30 kinds of malformed request', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(30);
  });

  it.each(Object.entries(cases))('%s → 4xx, one error shape, database unchanged', async (_name, c) => {
    const path = typeof c.path === 'function' ? c.path() : c.path;
    const body = typeof c.body === 'function' ? (c.body as () => unknown)() : c.body;
    const res = await t.api(path, {
      method: c.method ?? 'GET',
      ...(body === undefined ? {} : { body }),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    expect(res.status).toBe(c.status);
    expect(res.body).toEqual({
      error: expect.objectContaining({
        code: c.code ?? expect.any(String),
        message: expect.stringMatching(/\S/),
        request_id: expect.stringMatching(/^req_/),
      }),
    });
    expect(Object.keys(res.body.error).sort()).toEqual(
      expect.arrayContaining(['code', 'message', 'request_id']),
    );
    expect(await snapshot(t.app.ctx.db)).toEqual(before);
  });

  // Control, run last: the snapshot does see a write, so "unchanged" above means something.
  it('the snapshot notices a request that does write', async () => {
    const res = await t.api('/api/customers', { method: 'POST', body: { email: 'control@example.com' } });
    expect(res.status).toBe(201);
    expect(await snapshot(t.app.ctx.db)).not.toEqual(before);
  });
});
