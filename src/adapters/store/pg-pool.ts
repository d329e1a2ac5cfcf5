import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';

/**
 * How long a query waits for a connection (a free pool slot, or a new connection to a database that
 * does not answer) before failing as "database unavailable". Without it a request or a worker hangs
 * for as long as the database is unreachable; with it, it gets an error it can answer 503 to or back
 * off from.
 */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Errors that came out of the PostgreSQL driver (a query or a connect), as opposed to anything else. */
const driverErrors = new WeakSet<object>();

function markAsDriverError(err: unknown): never {
  if (typeof err === 'object' && err !== null) driverErrors.add(err);
  throw err;
}

/**
 * The pg pool behind Kysely, hardened for a database that goes away and comes back (a restart, a
 * failover, a network cut): error listeners so a broken connection cannot crash the process, a
 * connect timeout, TCP keepalive, and every error the driver raises marked so that
 * `isDatabaseUnavailable` can tell "the database is gone" from, say, a Discord call refused.
 */
export function postgresPool(
  url: string,
  options: { poolSize?: number; onConnectionError?: (err: Error) => void },
): PostgresPool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // TCP keepalive finds a connection whose peer vanished without closing it (host down, network cut).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  const onError = (err: Error) => options.onConnectionError?.(err);
  // An idle client losing its connection: the pool drops it and opens another when needed.
  pool.on('error', onError);
  // A checked-out client losing its connection (57P01 on a restart, a closed socket) emits 'error' on
  // the client itself, where the pool listens only while the client is idle. Unheard, that event
  // kills the process; heard, the query in flight rejects and the pool discards the broken client
  // when it is released.
  pool.on('connect', (client) => client.on('error', onError));

  // One wrapper per pg client: Kysely keeps a connection object per client it is handed.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let wrapper = wrappers.get(client);
    if (!wrapper) {
      function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
      function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
      function query<R>(
        sqlOrCursor: string | PostgresCursor<R>,
        parameters?: ReadonlyArray<unknown>,
      ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
        if (typeof sqlOrCursor !== 'string')
          // A streaming cursor: pg hands the cursor back; its reads fail on their own.
          return (client as unknown as PostgresPoolClient).query(sqlOrCursor);
        return (client as unknown as PostgresPoolClient)
          .query<R>(sqlOrCursor, parameters ?? [])
          .catch(markAsDriverError);
      }
      wrapper = { query, release: () => client.release() };
      wrappers.set(client, wrapper);
    }
    return wrapper;
  };
  return {
    connect: async () => wrap(await pool.connect().catch(markAsDriverError)),
    end: () => pool.end(),
  };
}

/** SQLSTATE codes of a PostgreSQL server that is going away, starting or refusing connections. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping or restarting and ended this session
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);

/** Socket errors of a database host that cannot be reached right now. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** node-postgres' and its pool's messages for a connection that broke or never came. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/, // no free pool slot within CONNECT_TIMEOUT_MS
  /^Client has encountered a connection error and is not queryable$/,
];

function saysUnavailable(err: object): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_SOCKET_CODES.has(e.code)) return true;
    // Class 08: connection exception (connection_failure, connection_does_not_exist, …).
    if (/^08[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((m) => m.test(e.message as string)))
    return true;
  // A host name with several addresses refuses on each: one AggregateError of socket errors.
  return (
    Array.isArray(e.errors) &&
    e.errors.some((inner: unknown) => typeof inner === 'object' && inner !== null && saysUnavailable(inner))
  );
}

/**
 * True when `err` — or an error it wraps as its `cause` — came from the PostgreSQL driver and says
 * the database cannot be reached right now (a restart, a stop, a network cut, a full pool) rather
 * than that the statement is wrong. Such work is retried later instead of failing: HTTP answers 503,
 * jobs keep their attempts. Only driver errors count, so a refused Discord or webhook call is never
 * taken for a database outage. SQLite never answers true: better-sqlite3 has no connection to lose,
 * and SQLITE_BUSY comes only after busy_timeout already waited for the lock.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    if (driverErrors.has(current) && saysUnavailable(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
