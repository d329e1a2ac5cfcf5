/**
 * A queue worker in its own process, for the throughput benchmark. It registers only the
 * bench-only `bench.noop` kind, so no production handler list ever contains it.
 *
 * Protocol over the fork IPC channel: sends `ready` once the database is open, starts claiming on
 * `go`, and on `stop` stops gracefully and exits.
 */
import pino from 'pino';
import { openDb } from '../src/adapters/store/db.js';
import { z } from 'zod';
import { defineJob, handle, jobMap } from '../src/core/jobs.js';
import { Worker } from '../src/jobs/worker.js';
import { Metrics } from '../src/ops/metrics.js';

const BENCH_JOB_KIND = 'bench.noop';

const url = process.env.DATABASE_URL;
if (!url || !process.send) {
  console.error('bench/worker-process.ts is started by bench/queue-throughput.ts (fork, DATABASE_URL set)');
  process.exit(2);
}

const db = openDb(url);
const worker = new Worker(
  db,
  jobMap([handle(defineJob(BENCH_JOB_KIND, z.object({ i: z.number() })), async () => undefined)]),
  pino({ level: 'warn' }),
  new Metrics(),
  {
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 16),
  },
);

process.on('message', (message) => {
  if (message === 'go') worker.start();
  if (message === 'stop')
    void worker
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0));
});
process.send('ready');
