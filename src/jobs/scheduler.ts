import type { Logger } from 'pino';
import type { Db } from '../adapters/store/db.js';
import { enqueue } from './queue.js';
import { systemClock, type Clock } from '../core/clock.js';

export interface PeriodicTask {
  /** Unique name; also the job's dedupe key prefix. */
  name: string;
  everyMs: number;
  /** Job kind enqueued once per period. */
  kind: string;
  payload?: unknown;
}

/**
 * Claims the current period of a task. Exactly one instance wins a period: the conditional UPDATE
 * moves `last_period` forward only once, whichever instance gets there first.
 */
export async function claimPeriod(db: Db, task: PeriodicTask, now = Date.now()): Promise<boolean> {
  const period = Math.floor(now / task.everyMs);
  return db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('periodic_tasks')
      .values({ name: task.name, last_period: period - 1 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const r = await trx
      .updateTable('periodic_tasks')
      .set({ last_period: period })
      .where('name', '=', task.name)
      .where('last_period', '<', period)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    await enqueue(
      trx,
      db.dialect,
      {
        kind: task.kind,
        payload: task.payload ?? {},
        dedupeKey: `periodic:${task.name}`,
      },
      now,
    );
    return true;
  });
}

/** Ticks every second and enqueues each periodic task once per period across all instances. */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;

  constructor(
    private readonly db: Db,
    private readonly tasks: PeriodicTask[],
    private readonly log: Logger,
    private readonly tickMs = 1000,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    void this.tick();
  }

  async tick(now = this.clock.now()): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    const fired: string[] = [];
    try {
      for (const task of this.tasks) {
        if (await claimPeriod(this.db, task, now)) fired.push(task.name);
      }
    } catch (err) {
      this.log.error({ err }, 'scheduler tick failed');
    } finally {
      this.ticking = false;
    }
    return fired;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
