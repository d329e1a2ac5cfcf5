import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { seedServer } from '../helpers/seed.js';
import { seedOffer } from '../stripe/harness.js';

/**
 * Rules every route keeps (docs/decisions/0009-public-surface.md): API routes refuse unknown query
 * parameters and lists page alike; pages carry the security headers; the API docs still load under
 * them; /metrics can ask for a token.
 */

interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
}

describeEachBackend('the public surface', ({ dialect }) => {
  let t: TestApp;
  let offerId: string;
  beforeAll(async () => {
    t = await startTestApp({ dialect, worker: false });
    const server = await seedServer(t.app.ctx.db);
    offerId = (await seedOffer({ t, serverId: server.id })).entitlementId;
  });
  afterAll(() => t.stop());

  it('every API route in the OpenAPI document refuses an unknown query parameter, before anything else', async () => {
    const doc = (await t.api('/api/openapi.json')).body as OpenApi;
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
    expect(routes.length).toBeGreaterThan(30);
    const accepted: string[] = [];
    for (const { method, path } of routes) {
      const url = path.replace(/\{[^}]+\}/g, 'srv_0000000000aaaaaaaaaaaaaaaa');
      const res = await t.api(`${url}?unknown_parameter=1`, { method });
      const detail = res.body?.error?.details?.[0];
      if (res.status !== 400 || detail?.location !== 'querystring' || detail?.path !== 'unknown_parameter')
        accepted.push(
          `${method} ${path} → ${res.status} ${JSON.stringify(res.body?.error ?? res.body).slice(0, 120)}`,
        );
    }
    expect(accepted).toEqual([]);
  });

  it('GET /api/servers is a list like the others: limit, cursor, newest first', async () => {
    for (let i = 0; i < 3; i++) await seedServer(t.app.ctx.db, { name: `Paged ${i}` });
    const all = (await t.api('/api/servers?limit=100')).body as { data: { id: string }[]; next_cursor: null };
    expect(all.next_cursor).toBeNull();
    expect(all.data.length).toBeGreaterThanOrEqual(4);
    expect(all.data.map((s) => s.id)).toEqual([...all.data.map((s) => s.id)].sort().reverse());

    const first = await t.api('/api/servers?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await t.api(`/api/servers?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((s: { id: string }) => s.id)).toEqual(all.data.slice(2, 4).map((s) => s.id));
    expect((await t.api('/api/servers?cursor=nonsense')).body.error.code).toBe('invalid_cursor');
    expect((await t.api('/api/servers?limit=0')).status).toBe(400);
  });

  it('an HTML page carries a CSP that forbids framing, nosniff and a referrer policy', async () => {
    const res = await fetch(`${t.url}/offers/${offerId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('the API docs page loads every script and stylesheet it names from this origin, under the CSP', async () => {
    const page = await fetch(`${t.url}/api/docs/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const asset of assets) {
      // Relative to /api/docs/; nothing from another origin, which the CSP would block.
      expect(asset).not.toMatch(/^[a-z]+:/i);
      const res = await fetch(new URL(asset, `${t.url}/api/docs/`));
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    const spec = await fetch(`${t.url}/api/docs/json`);
    expect(spec.status).toBe(200);
    expect(((await spec.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('/metrics answers without a token when METRICS_TOKEN is not set', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(200);
  });
});

describe('/metrics with METRICS_TOKEN set', () => {
  let t: TestApp;
  const token = 'metrics-token-0123456789';
  beforeAll(async () => {
    t = await startTestApp({ worker: false, env: { METRICS_TOKEN: token } });
  });
  afterAll(() => t.stop());

  it('refuses a scrape without the bearer token, or with another one, and answers the right one', async () => {
    const bare = await fetch(`${t.url}/metrics`);
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const ok = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('rolegate_jobs_due');
  });
});
