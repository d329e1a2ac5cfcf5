import { resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { postgresPool } from './pg-pool.js';
export { isDatabaseUnavailable } from './pg-pool.js';
import { ensurePrivateFile } from './private-file.js';
import type { Database } from './schema.js';
import * as m001 from './migrations/001_initial.js';
import * as m005 from './migrations/005_discord_ux.js';
import * as m006 from './migrations/006_stripe.js';
import * as m007 from './migrations/007_reconcile.js';
import * as m008 from './migrations/008_buyer_links.js';
import * as m009 from './migrations/009_hardening.js';
import * as m010 from './migrations/010_revoke_billing.js';
import * as m011 from './migrations/011_gateway.js';
import * as m021 from './migrations/021_portal.js';
import * as m022 from './migrations/022_admin_sessions.js';
import * as m023 from './migrations/023_alert_notices.js';
import * as m024 from './migrations/024_inbox.js';
import * as m026 from './migrations/026_plan_moves.js';
import * as m025 from './migrations/025_settings.js';

import { dialectOf, type Dialect } from './dialect.js';
export { dialectOf, type Dialect } from './dialect.js';

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

/**
 * Opens SQLite (WAL, busy timeout) or PostgreSQL from a DATABASE_URL. Does not migrate.
 * `onConnectionError` hears every PostgreSQL connection that broke (a restart, a network cut); the
 * query that was using it fails on its own, so this is for logs only.
 */
export function openDb(
  url: string,
  options: { poolSize?: number; onConnectionError?: (err: Error) => void } = {},
): Db {
  const dialect = dialectOf(url);
  if (dialect === 'postgres') {
    const pool = postgresPool(url, options);
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect, close: () => kysely.destroy() };
  }
  // better-sqlite3 is synchronous and in-process: there is no connection to lose and no 'error'
  // event to miss. A locked database (SQLITE_BUSY) is waited out by busy_timeout below.
  const file = url.slice('sqlite:'.length);
  if (file !== ':memory:') ensurePrivateFile(resolve(file));
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
  '009_hardening': (dialect) => ({ up: (db) => m009.up(db, dialect) }),
  '010_revoke_billing': (dialect) => ({ up: (db) => m010.up(db, dialect) }),
  '011_gateway': (dialect) => ({ up: (db) => m011.up(db, dialect) }),
  '021_portal': (dialect) => ({ up: (db) => m021.up(db, dialect) }),
  '022_admin_sessions': (dialect) => ({ up: (db) => m022.up(db, dialect) }),
  '023_alert_notices': (dialect) => ({ up: (db) => m023.up(db, dialect) }),
  '024_inbox': (dialect) => ({ up: (db) => m024.up(db, dialect) }),
  '025_settings': (dialect) => ({ up: (db) => m025.up(db, dialect) }),
  '026_plan_moves': (dialect) => ({ up: (db) => m026.up(db, dialect) }),
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
    // 024 landed after 025: a database that already has 025 still gets 024 (they touch different tables).
    allowUnorderedMigrations: true,
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
