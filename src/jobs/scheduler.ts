import type { Logger } from 'pino';
import type { Db } from '../adapters/store/db.js';
import { enqueue } from '../adapters/store/queue.js';
import { advancePeriod } from '../adapters/store/periodic.js';
import { systemClock, type Clock } from '../core/clock.js';
import { DatabaseOutage, LoopBackoff } from './db-outage.js';
import type { PeriodicTask } from '../core/jobs.js';

/**
 * Claims the current period of a task. Exactly one instance wins a period: the conditional UPDATE
 * moves `last_period` forward only once, whichever instance gets there first.
 */
export async function claimPeriod(db: Db, task: PeriodicTask, now = Date.now()): Promise<boolean> {
  const period = Math.floor(now / task.everyMs);
  return db.kysely.transaction().execute(async (trx) => {
    if (!(await advancePeriod(trx, task.name, period))) return false;
    await enqueue(
      trx,
      db.dialect,
      {
        kind: task.job.kind,
        payload: {},
        dedupeKey: `periodic:${task.name}`,
      },
      now,
    );
    return true;
  });
}

/**
 * Ticks every second and enqueues each periodic task once per period across all instances. While
 * the database is unavailable it backs off (capped, jittered) instead of ticking, logs the outage
 * once, and resumes by itself; a period missed during the outage fires on the first tick after it.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private started = false;
  private readonly backoff = new LoopBackoff();

  constructor(
    private readonly db: Db,
    private readonly tasks: PeriodicTask[],
    private readonly log: Logger,
    private readonly tickMs = 1000,
    private readonly clock: Clock = systemClock,
    private readonly outage: DatabaseOutage = new DatabaseOutage(log),
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.scheduleTick(0);
  }

  /** Claims the current period of every task; returns the names of the tasks that fired. */
  async tick(now = this.clock.now()): Promise<string[]> {
    return (await this.tickOnce(now)).fired;
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private scheduleTick(ms: number): void {
    this.timer = setTimeout(() => void this.tickAndReschedule(), ms);
    this.timer.unref();
  }

  private async tickAndReschedule(): Promise<void> {
    const { ok } = await this.tickOnce(this.clock.now());
    if (this.started) this.scheduleTick(ok ? this.tickMs : this.backoff.next());
  }

  private async tickOnce(now: number): Promise<{ fired: string[]; ok: boolean }> {
    if (this.ticking) return { fired: [], ok: true };
    this.ticking = true;
    const fired: string[] = [];
    const startedAt = Date.now();
    try {
      for (const task of this.tasks) {
        if (await claimPeriod(this.db, task, now)) fired.push(task.name);
      }
      this.backoff.reset();
      if (this.tasks.length > 0) this.outage.succeeded(startedAt);
      return { fired, ok: true };
    } catch (err) {
      if (!this.outage.failed(err, 'scheduler')) this.log.error({ err }, 'scheduler tick failed');
      return { fired, ok: false };
    } finally {
      this.ticking = false;
    }
  }
}
