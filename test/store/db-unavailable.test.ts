import { createServer } from 'node:net';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, openDb, ping, type Db } from '../../src/adapters/store/db.js';
import { eventually } from '../helpers/app.js';
import { describeEachBackend } from '../helpers/backends.js';
import { dropDatabase, freshDb, postgresAdminUrl, postgresUnavailable } from '../helpers/db.js';

const rejection = async (work: Promise<unknown>): Promise<unknown> => {
  try {
    await work;
  } catch (err) {
    return err;
  }
  throw new Error('expected the database call to fail');
};

describeEachBackend('an error that is not a database outage', ({ db, dialect, url }) => {
  const insertTask = (name: string) =>
    db().kysely.insertInto('periodic_tasks').values({ name, last_period: 1 }).execute();

  it('a statement that breaks a constraint is the statement’s failure, not an outage', async () => {
    await insertTask('unique-twice');
    const err = await rejection(insertTask('unique-twice'));
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('a refused connection to anything but the database (a receiver, Discord) is not an outage', async () => {
    const err = await rejection(fetch('http://127.0.0.1:9/'));
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  if (dialect === 'sqlite') {
    it('SQLITE_BUSY is not an outage: busy_timeout already waited for the lock', async () => {
      const file = url().slice('sqlite:'.length);
      const other = new SQLite(file);
      other.exec('BEGIN IMMEDIATE'); // holds the write lock
      await sql`PRAGMA busy_timeout = 0`.execute(db().kysely);
      try {
        const err = await rejection(insertTask('while-locked'));
        expect((err as { code?: string }).code).toBe('SQLITE_BUSY');
        expect(isDatabaseUnavailable(err)).toBe(false);
      } finally {
        other.exec('ROLLBACK');
        other.close();
        await sql`PRAGMA busy_timeout = 10000`.execute(db().kysely);
      }
    });
  }
});

const pgReason = await postgresUnavailable();
const pgTitle = 'a PostgreSQL connection that breaks [postgres]';

(pgReason ? describe.skip : describe)(pgReason ? `${pgTitle} (skipped: ${pgReason})` : pgTitle, () => {
  let db: Db;
  let url = '';
  const admin = new pg.Client({ connectionString: postgresAdminUrl });

  beforeAll(async () => {
    ({ db, url } = await freshDb('postgres'));
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await db?.close();
    await dropDatabase(url);
  });

  it('terminated by the server (57P01) while checked out, fails its transaction as "database unavailable" without crashing the process, and the pool carries on', async () => {
    const err = await rejection(
      db.kysely.transaction().execute(async (trx) => {
        const backend = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
        const pid = backend.rows[0]!.pid;
        // What a restart does to every session. The connection is checked out and idle, so the
        // FATAL message arrives as an 'error' event on the client, not on a query.
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await eventually(
          async () =>
            (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0,
          10_000,
          'the backend to end',
        );
        await sql`SELECT 1`.execute(trx);
      }),
    );
    expect(isDatabaseUnavailable(err)).toBe(true);
    await expect(ping(db)).resolves.toBeUndefined();
  });

  it('a server that refuses connections is "database unavailable"', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
    const gone = openDb(`postgres://postgres@127.0.0.1:${closed}/postgres`);
    try {
      expect(isDatabaseUnavailable(await rejection(ping(gone)))).toBe(true);
    } finally {
      await gone.close();
    }
  });
});
