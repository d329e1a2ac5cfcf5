import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db, Executor } from '../../adapters/store/db.js';
import type { Secrets } from '../../adapters/crypto/secrets.js';
import type { Clock } from '../../core/clock.js';
import type { Metrics } from '../../ops/metrics.js';
import { enqueue, type EnqueueOptions } from '../../adapters/store/queue.js';
import type { JobType, PayloadIn } from '../../core/jobs.js';
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

/** How a job is queued besides its kind and payload (run time, dedupe key, attempts). */
export type JobOptions = Omit<EnqueueOptions, 'kind' | 'payload'>;

/** A transaction with an outbox: jobs enqueued through it commit or roll back with the change. */
export interface Tx {
  db: Executor;
  /** Queues `job` with a payload of its declared type (core/jobs.ts `defineJob`). */
  enqueue<J extends JobType>(job: J, payload: PayloadIn<J>, options?: JobOptions): Promise<void>;
}

/** Runs `fn` in one transaction; jobs it enqueues are written in that same transaction. */
export async function inTransaction<T>(ctx: AppContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let queued = false;
  const result = await ctx.db.kysely.transaction().execute(async (trx) =>
    fn({
      db: trx,
      enqueue: async (job, payload, options) => {
        queued = true;
        await enqueue(trx, ctx.db.dialect, { ...options, kind: job.kind, payload }, ctx.clock.now());
      },
    }),
  );
  if (queued) ctx.nudge();
  return result;
}
