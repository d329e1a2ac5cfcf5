import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describeEachBackend('health, readiness, metrics', ({ dialect }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ dialect });
  });
  afterAll(() => t.stop());

  it('/healthz answers ok', async () => {
    expect(await t.api('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('/readyz reports the database and migrations', async () => {
    expect(await t.api('/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok' } },
    });
  });

  it('/metrics exposes queue depth and counters in Prometheus text', async () => {
    const res = await fetch(`${t.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    expect(text).toContain('rolegate_jobs_due');
    expect(text).toContain('# TYPE rolegate_job_latency_seconds histogram');
  });

  it('an unknown route is a 404 in the one error shape, with the request id', async () => {
    const res = await t.api('/api/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found' });
    expect(res.body.error.request_id).toMatch(/^req_/);
  });

  it('serves the OpenAPI document and a docs page', async () => {
    const doc = await t.api('/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const page = await fetch(`${t.url}/api/docs/`);
    expect(page.status).toBe(200);
  });
});
