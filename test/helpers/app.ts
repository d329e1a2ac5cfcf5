import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { Dialect } from '../../src/adapters/store/db.js';
import { createApiKey } from '../../src/app/admin/api-keys.js';
import type { Ports } from '../../src/core/ports/index.js';
import type { Clock } from '../../src/core/clock.js';
import type { RegisteredJob } from '../../src/core/jobs.js';
import { startRolegate, type Rolegate } from '../../src/main/app.js';
import { dropDatabase, freshDatabaseUrl } from './db.js';

export interface TestApp {
  app: Rolegate;
  url: string;
  apiKey: string;
  config: Config;
  /** fetch against the app with the API key. */
  api(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  stop(): Promise<void>;
}

/**
 * Starts a real Rolegate (HTTP server on 127.0.0.1:0, worker, no scheduler unless asked) on a fresh
 * database of the given backend.
 */
export async function startTestApp(
  options: {
    dialect?: Dialect;
    env?: Record<string, string>;
    ports?: Partial<Ports>;
    clock?: Clock;
    worker?: boolean;
    scheduler?: boolean;
    /** Test-only job kinds (or replacements of the app's handlers). */
    extraJobs?: RegisteredJob[];
  } = {},
): Promise<TestApp> {
  const databaseUrl = await freshDatabaseUrl(options.dialect ?? 'sqlite');
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-data-')),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    WORKER_CONCURRENCY: '8',
    ...options.env,
  });
  const app = await startRolegate({
    config,
    run: { http: true, worker: options.worker ?? true, scheduler: options.scheduler ?? false },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.ports ? { ports: options.ports } : {}),
    ...(options.extraJobs ? { extraJobs: options.extraJobs } : {}),
  });
  const { key } = await createApiKey(app.ctx, 'test');
  const url = app.url!;
  return {
    app,
    url,
    apiKey: key,
    config,
    async api(path, init = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${key}`, ...init.headers };
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(url + path, {
        method: init.method ?? 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      await app.stop();
      await dropDatabase(databaseUrl);
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
