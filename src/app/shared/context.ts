import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db, Executor } from '../../adapters/store/db.js';
import type { Secrets } from '../../adapters/crypto/secrets.js';
import type { Clock } from '../../core/clock.js';
import type { Metrics } from '../../ops/metrics.js';
import { enqueue, type EnqueueOptions } from '../../adapters/store/queue.js';
import type { Ports } from '../../core/ports/index.js';

/** What every use case gets: storage, time, logs, secrets and the outside services behind ports. */
export interface AppContext {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  config: Config;
  secrets: Secrets;
  ports: Ports;
  /** The URL buyers reach this instance at (no trailing slash). */
  publicUrl: string;
  /** Tells in-process workers that jobs were queued (they poll anyway). */
  nudge(): void;
}

/** A transaction with an outbox: jobs enqueued through it commit or roll back with the change. */
export interface Tx {
  db: Executor;
  enqueue(job: EnqueueOptions): Promise<void>;
}

/** Runs `fn` in one transaction; jobs it enqueues are written in that same transaction. */
export async function inTransaction<T>(ctx: AppContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let queued = false;
  const result = await ctx.db.kysely.transaction().execute(async (trx) =>
    fn({
      db: trx,
      enqueue: async (job) => {
        queued = true;
        await enqueue(trx, ctx.db.dialect, job, ctx.clock.now());
      },
    }),
  );
  if (queued) ctx.nudge();
  return result;
}
