import { afterAll, beforeAll, describe } from 'vitest';
import type { Db, Dialect } from '../../src/adapters/store/db.js';
import { dropDatabase, freshDb, postgresUnavailable } from './db.js';

export const backends: Dialect[] = ['sqlite', 'postgres'];

const pgReason = await postgresUnavailable();
if (pgReason) console.warn(`[rolegate tests] PostgreSQL contract tests skipped: ${pgReason}`);

/**
 * Runs a suite once per database backend, each with its own fresh migrated database.
 * On a machine without PostgreSQL the PostgreSQL half is skipped and says why.
 */
export function describeEachBackend(
  name: string,
  suite: (ctx: { db: () => Db; dialect: Dialect; url: () => string }) => void,
) {
  for (const dialect of backends) {
    const skip = dialect === 'postgres' ? pgReason : null;
    const title = skip ? `${name} [${dialect}] (skipped: ${skip})` : `${name} [${dialect}]`;
    (skip ? describe.skip : describe)(title, () => {
      let db: Db | undefined;
      let url = '';
      beforeAll(async () => {
        const fresh = await freshDb(dialect);
        db = fresh.db;
        url = fresh.url;
      });
      afterAll(async () => {
        await db?.close();
        await dropDatabase(url);
      });
      suite({
        db: () => {
          if (!db) throw new Error('database not ready');
          return db;
        },
        dialect,
        url: () => url,
      });
    });
  }
}
