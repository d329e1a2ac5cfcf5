import { mkdtempSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startRolegate, type Rolegate } from '../../src/main/app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { dropDatabase, freshDatabaseUrl, postgresAdminUrl, postgresUnavailable } from '../helpers/db.js';

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

const pgReason = await postgresUnavailable();

(pgReason ? describe.skip : describe)('/readyz while PostgreSQL is unreachable', () => {
  let app: Rolegate;
  let proxy: Server;
  const sockets = new Set<Socket>();
  let databaseUrl = '';

  beforeAll(async () => {
    // A TCP relay in front of PostgreSQL: closing it makes the database unreachable for the app.
    const target = new URL(postgresAdminUrl);
    proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    databaseUrl = await freshDatabaseUrl('postgres');
    const viaProxy = new URL(databaseUrl);
    viaProxy.port = String((proxy.address() as AddressInfo).port);
    app = await startRolegate({
      config: loadConfig({
        DATABASE_URL: viaProxy.toString(),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-data-')),
        PORT: '0',
        LOG_LEVEL: 'silent',
      }),
      run: { http: true, worker: false, scheduler: false },
    });
  });
  afterAll(async () => {
    await app.stop().catch(() => undefined);
    await dropDatabase(databaseUrl);
  });

  it('answers 503 not_ready without naming the database host or port', async () => {
    const port = String((proxy.address() as AddressInfo).port);
    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    const res = await fetch(`${app.url}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toEqual({
      status: 'not_ready',
      checks: { database: 'unreachable', migrations: 'pending' },
    });
    expect(text).not.toContain(port);
    expect(text).not.toContain('127.0.0.1');
  });
});
