import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import * as m001 from './migrations/001_initial.js';
import * as m005 from './migrations/005_discord_ux.js';
import * as m006 from './migrations/006_stripe.js';
import * as m007 from './migrations/007_reconcile.js';
import * as m008 from './migrations/008_buyer_links.js';

export type Dialect = 'sqlite' | 'postgres';

/** The database handle every store function takes: Kysely plus which SQL dialect it speaks. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  close(): Promise<void>;
}

/** A handle usable both outside and inside a transaction. */
export type Executor = Kysely<Database>;

// PostgreSQL returns int8 (bigint) as strings; every bigint we store is an epoch-ms or an amount
// well inside Number.MAX_SAFE_INTEGER.
pg.types.setTypeParser(20, (v) => Number(v));

export function dialectOf(url: string): Dialect {
  return url.startsWith('postgres') ? 'postgres' : 'sqlite';
}

/** Opens SQLite (WAL, busy timeout) or PostgreSQL from a DATABASE_URL. Does not migrate. */
export function openDb(url: string, options: { poolSize?: number } = {}): Db {
  const dialect = dialectOf(url);
  if (dialect === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect, close: () => kysely.destroy() };
  }
  const file = url.slice('sqlite:'.length);
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const database = new SQLite(file === ':memory:' ? ':memory:' : resolve(file));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return { kysely, dialect, close: () => kysely.destroy() };
}

const migrations: Record<string, (dialect: Dialect) => Migration> = {
  '001_initial': (dialect) => ({ up: (db) => m001.up(db, dialect) }),
  '005_discord_ux': (dialect) => ({ up: (db) => m005.up(db, dialect) }),
  '006_stripe': (dialect) => ({ up: (db) => m006.up(db, dialect) }),
  '007_reconcile': (dialect) => ({ up: (db) => m007.up(db, dialect) }),
  '008_buyer_links': (dialect) => ({ up: (db) => m008.up(db, dialect) }),
};

/** Names of all migrations this build knows, in order. */
export const migrationNames = Object.keys(migrations).sort();

/**
 * Applies pending migrations. Kysely's migrator holds a lock row (SELECT … FOR UPDATE on
 * PostgreSQL, the write lock on SQLite) so several instances starting at once apply each migration once.
 */
export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(Object.entries(migrations).map(([name, make]) => [name, make(db.dialect)])),
    },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied. */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  try {
    const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(db.kysely);
    const applied = new Set(rows.rows.map((r) => r.name));
    return migrationNames.every((n) => applied.has(n));
  } catch {
    return false;
  }
}

/** Round-trips a trivial query. */
export async function ping(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db.kysely);
}
