/**
 * Benchmarks' PostgreSQL: a fresh database on TEST_POSTGRES_URL's server (default
 * postgres://postgres@127.0.0.1:5432/postgres) that `drop()` removes again, and a poll-until helper.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function adminQuery(text: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(text);
  } finally {
    await admin.end();
  }
}

export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function freshPostgres(): Promise<BenchDatabase> {
  const name = `rolegate_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Polls `check` every `everyMs` until it returns something truthy; throws after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  ms = 60_000,
  everyMs = 25,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
