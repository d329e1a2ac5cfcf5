import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachBackend } from '../helpers/backends.js';
import { dropDatabase, freshDatabaseUrl } from '../helpers/db.js';
import { migrate, openDb } from '../../src/adapters/store/db.js';
import { claimJobs, enqueue, failJob } from '../../src/adapters/store/queue.js';

const run = promisify(execFile);

describeEachBackend('rolegate CLI', ({ dialect }) => {
  // Each call starts a real process that loads the app through tsx: seconds each on a busy machine.
  vi.setConfig({ testTimeout: 120_000 });
  let env: Record<string, string>;
  let databaseUrl: string;
  const cli = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/rolegate.js', ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    databaseUrl = await freshDatabaseUrl(dialect);
    env = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-cli-')),
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(() => dropDatabase(databaseUrl));

  it('migrate applies the migrations once, then says they are current', async () => {
    expect((await cli('migrate')).stdout).toMatch(/applied: 001_initial/);
    expect((await cli('migrate')).stdout).toMatch(/migrations are current/);
  });

  it('api-keys: create shows the key once, list shows only its prefix, revoke ends it', async () => {
    const created = await cli('api-keys', 'create', 'ci', 'key');
    const key = /\b(rg_[\w-]+)/.exec(created.stdout)?.[1];
    const id = /created (key_\w+)/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const list = await cli('api-keys', 'list');
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('ci key');
    expect(list.stdout).not.toContain(key);
    expect((await cli('api-keys', 'revoke', id!)).stdout).toContain(`revoked ${id}`);
    expect((await cli('api-keys', 'list')).stdout).toMatch(new RegExp(`${id}.*revoked`));
  });

  it('grants list answers on an empty database', async () => {
    expect((await cli('grants', 'list')).stdout.trim()).toBe('no grants');
  });

  it('jobs: a dead job is listed with its last error, and retry puts it back in the queue', async () => {
    const db = openDb(databaseUrl);
    try {
      await migrate(db);
      await enqueue(db.kysely, db.dialect, { kind: 'cli.test', maxAttempts: 1 });
      const [job] = await claimJobs(db, 'w', 1, 60_000);
      expect(await failJob(db.kysely, job!, 'w', 'boom: the last attempt')).toBe('dead');
      const dead = await cli('jobs', 'dead');
      expect(dead.stdout).toContain(job!.id);
      expect(dead.stdout).toContain('boom: the last attempt');
      expect((await cli('jobs', 'retry', job!.id)).stdout).toContain('requeued 1 of 1');
      const row = await db.kysely
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', job!.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'queued', attempts: 0 });
      expect((await cli('jobs', 'stats')).stdout).toMatch(/queued\s+1\s+cli\.test/);
    } finally {
      await db.close();
    }
  });

  it('an unknown command prints the usage and exits 2', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rolegate <command>');
  });
});
