/**
 * Queue throughput, enqueue → done, with an empty handler.
 *
 *   npx tsx bench/queue-throughput.ts [jobs=20000] [sqlite|postgres|both]
 *
 * SQLite: one in-process worker on a fresh file. PostgreSQL: two workers, each in its own process
 * (bench/worker-process.ts), on a fresh database of TEST_POSTGRES_URL's server. Prints jobs/s and
 * the machine it ran on. BENCH_WORKER_NODE_ARGS adds node flags to the worker processes (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { migrate, openDb, type Db } from '../src/adapters/store/db.js';
import { enqueueMany, type EnqueueOptions } from '../src/adapters/store/queue.js';
import { z } from 'zod';
import { defineJob, handle, jobMap } from '../src/core/jobs.js';
import { Worker } from '../src/jobs/worker.js';
import { Metrics } from '../src/ops/metrics.js';
import { freshPostgres } from './postgres.js';

const BENCH_JOB_KIND = 'bench.noop'; // the kind bench/worker-process.ts registers
const N = Number(process.argv[2] ?? 20_000);
const which = process.argv[3] ?? 'both';
const here = dirname(fileURLToPath(import.meta.url));

interface Result {
  backend: string;
  workers: string;
  enqueueMs: number;
  drainMs: number;
}

const jobs = (): EnqueueOptions[] =>
  Array.from({ length: N }, (_, i) => ({ kind: BENCH_JOB_KIND, payload: { i } }));

async function remaining(db: Db): Promise<number> {
  const row = await db.kysely
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Polls sparingly: count(*) scans the table, and a tight poll would steal time from the workers. */
async function untilDrained(db: Db): Promise<void> {
  while ((await remaining(db)) > 0) await new Promise((r) => setTimeout(r, 50));
}

async function enqueueAll(db: Db): Promise<number> {
  const start = performance.now();
  await enqueueMany(db.kysely, db.dialect, jobs());
  return performance.now() - start;
}

async function benchSqlite(): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'rolegate-bench-'));
  const db = openDb(`sqlite:${join(dir, 'bench.db')}`);
  await migrate(db);
  const enqueueMs = await enqueueAll(db);
  const worker = new Worker(
    db,
    jobMap([handle(defineJob(BENCH_JOB_KIND, z.object({ i: z.number() })), async () => undefined)]),
    pino({ level: 'warn' }),
    new Metrics(),
  );
  const start = performance.now();
  worker.start();
  await untilDrained(db);
  const drainMs = performance.now() - start;
  await worker.stop();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return { backend: 'SQLite', workers: '1 worker, in-process', enqueueMs, drainMs };
}

function message(child: ChildProcess, expected: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench worker exited early (${code})`)));
    child.on('message', (m) => m === expected && resolve());
  });
}

async function benchPostgres(): Promise<Result> {
  const database = await freshPostgres();
  const url = new URL(database.url);
  const db = openDb(database.url);
  const children: ChildProcess[] = [];
  try {
    await migrate(db);
    for (let i = 0; i < 2; i++) {
      children.push(
        fork(join(here, 'worker-process.ts'), [], {
          // BENCH_WORKER_NODE_ARGS="--cpu-prof" profiles the workers.
          execArgv: [
            '--import',
            'tsx',
            ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
          ],
          env: { ...process.env, DATABASE_URL: url.toString() },
        }),
      );
    }
    await Promise.all(children.map((c) => message(c, 'ready')));
    const enqueueMs = await enqueueAll(db);
    const start = performance.now();
    for (const c of children) c.send('go');
    await untilDrained(db);
    const drainMs = performance.now() - start;
    for (const c of children) c.send('stop');
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
    return { backend: 'PostgreSQL', workers: '2 workers, separate processes', enqueueMs, drainMs };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await db.close();
    await database.drop();
  }
}

const rate = (ms: number) => Math.round(N / (ms / 1000));

const loadAtStart = loadavg();
const results: Result[] = [];
if (which === 'both' || which === 'sqlite') results.push(await benchSqlite());
if (which === 'both' || which === 'postgres') results.push(await benchPostgres());

console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ` +
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, ${process.platform}`,
);
// Other work on the machine moves the figures; the load average says how busy it was.
console.log(`load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`);
console.log(`jobs: ${N}, empty handler, concurrency 16 per worker`);
for (const r of results) {
  console.log(
    `${r.backend.padEnd(10)} (${r.workers}): enqueue ${rate(r.enqueueMs)} jobs/s, ` +
      `drain ${rate(r.drainMs)} jobs/s, enqueue → done ${rate(r.enqueueMs + r.drainMs)} jobs/s ` +
      `(${((r.enqueueMs + r.drainMs) / 1000).toFixed(2)} s)`,
  );
}
