import type { Config } from '../config.js';
import { migrate, openDb } from '../adapters/store/db.js';
import { listDeadJobs, queueDepth, retryDeadJob } from '../adapters/store/queue.js';

const usage = `rolegate jobs <command>

  jobs stats                 jobs in the queue by status and kind
  jobs dead [--limit N]      jobs that failed their last attempt, newest first, with their last error
  jobs retry <job id>|--all  put dead jobs back in the queue with a fresh set of attempts`;

/** Operator view of the durable queue: depth, dead jobs, and retrying them. */
export async function runJobsCommand(sub: string | undefined, rest: string[], config: Config): Promise<void> {
  const db = openDb(config.DATABASE_URL);
  try {
    await migrate(db);
    switch (sub) {
      case 'stats': {
        const depth = await queueDepth(db.kysely);
        for (const r of depth.byStatusKind)
          console.log(`${r.status.padEnd(8)} ${String(r.n).padStart(7)}  ${r.kind}`);
        console.log(`due now: ${depth.due}`);
        return;
      }
      case 'dead': {
        const i = rest.indexOf('--limit');
        const limit = Math.min(Math.max(Number(i >= 0 ? rest[i + 1] : 100) || 100, 1), 1000);
        const dead = await listDeadJobs(db.kysely, limit);
        if (dead.length === 0) console.log('no dead jobs');
        for (const j of dead) {
          console.log(
            `${j.id}  ${j.kind}  attempts ${j.attempts}  ${new Date(j.updated_at).toISOString()}  ${j.last_error ?? ''}`,
          );
        }
        return;
      }
      case 'retry': {
        const ids =
          rest[0] === '--all' ? (await listDeadJobs(db.kysely, 10_000)).map((j) => j.id) : rest.slice(0, 1);
        if (ids.length === 0) {
          console.error(usage);
          process.exitCode = 2;
          return;
        }
        let retried = 0;
        for (const id of ids) if (await retryDeadJob(db.kysely, id)) retried++;
        console.log(`requeued ${retried} of ${ids.length} job(s)`);
        if (retried < ids.length) process.exitCode = 1;
        return;
      }
      default:
        console.error(usage);
        process.exitCode = 2;
    }
  } finally {
    await db.close();
  }
}
