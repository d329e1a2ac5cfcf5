import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../adapters/store/db.js';
import { FailureError } from '../core/failure.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Metrics } from '../ops/metrics.js';
import { DatabaseOutage, LoopBackoff, pause } from './db-outage.js';
import { InvalidJobPayload, RetryLater, parsePayload, type JobMap } from '../core/jobs.js';

import {
  claimJobs,
  completeJobs,
  extendLease,
  failJob,
  reapExpiredLeases,
  releaseJobs,
  type Job,
} from '../adapters/store/queue.js';

export interface WorkerOptions {
  /** Jobs run at once. Default 16. */
  concurrency?: number;
  /**
   * The time jobs are due and leased by. Default: the system clock. The app passes its own clock so
   * that jobs scheduled with a test's ManualClock become due when that clock moves.
   */
  clock?: Clock;
  /** Lease per claimed job, ms. Default 60 000. */
  leaseMs?: number;
  /** Sleep between polls when the queue is empty, ms. Default 200. */
  idlePollMs?: number;
  /** How often this worker reaps expired leases, ms. Default 5 000. */
  reapEveryMs?: number;
  name?: string;
  /** Shared with the scheduler so that a database outage is logged once per process. Default: its own. */
  outage?: DatabaseOutage;
}

/** Claims due jobs and runs them until stopped. Many workers (and processes) may share one queue. */
export class Worker {
  readonly name: string;
  private running = new Map<string, Promise<void>>();
  /** Aborts running handlers (and outcome writes waiting for the database) when a stop's grace ends. */
  private controller = new AbortController();
  /** Aborted when a stop begins: cuts the loop's backoff pause short. */
  private stopping = new AbortController();
  private stopped = false;
  private loopDone: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Finished jobs waiting for the next batched DELETE (see `complete`). */
  private completions: { id: string; done: (held: boolean) => void; failed: (err: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly reapEveryMs: number;
  private readonly clock: Clock;
  private readonly outage: DatabaseOutage;
  private readonly loopBackoff = new LoopBackoff();

  constructor(
    private readonly db: Db,
    private readonly handlers: JobMap,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    options: WorkerOptions = {},
  ) {
    this.name = options.name ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.concurrency = options.concurrency ?? 16;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.idlePollMs = options.idlePollMs ?? 200;
    this.reapEveryMs = options.reapEveryMs ?? 5_000;
    this.clock = options.clock ?? systemClock;
    this.outage = options.outage ?? new DatabaseOutage(log);
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Wakes an idle worker at once (after an enqueue in the same process). */
  nudge(): void {
    this.wake?.();
  }

  /** Stops claiming, waits up to `graceMs` for running jobs, then hands the rest back to the queue. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.nudge();
    await this.loopDone;
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    const all = Promise.all(this.running.values()).then(() => 'done' as const);
    if ((await Promise.race([all, timeout])) === 'timeout') {
      this.controller.abort();
      try {
        const released = await releaseJobs(
          this.db.kysely,
          this.name,
          [...this.running.keys()],
          this.clock.now(),
        );
        this.log.warn({ released }, 'released unfinished jobs to the queue');
      } catch (err) {
        // The database is gone as we stop: the leases run out and the reaper hands the jobs on.
        this.log.warn({ err }, 'could not release unfinished jobs; they return when their lease expires');
      }
    }
  }

  private async loop(): Promise<void> {
    let lastReap = 0;
    let lastHeartbeat = Date.now();
    while (!this.stopped) {
      try {
        const now = Date.now();
        // Leases before the reaper: after an outage this worker's jobs are extended before any
        // reaper (this one included) takes a lease that ran out while the database was gone.
        if (now - lastHeartbeat >= this.leaseMs / 3 && this.running.size > 0) {
          await extendLease(
            this.db.kysely,
            [...this.running.keys()],
            this.name,
            this.clock.now() + this.leaseMs,
          );
          lastHeartbeat = now;
          this.databaseAnswered(now);
        }
        if (now - lastReap >= this.reapEveryMs) {
          const reaped = await reapExpiredLeases(this.db.kysely, this.clock.now());
          lastReap = now;
          this.databaseAnswered(now);
          if (reaped > 0) this.log.warn({ reaped }, 'reaped jobs whose lease expired');
        }
        const free = this.concurrency - this.running.size;
        if (free > 0) {
          const jobs = await claimJobs(this.db, this.name, free, this.leaseMs, this.clock.now());
          this.databaseAnswered(now);
          for (const job of jobs) this.runJob(job);
          if (jobs.length > 0) continue;
        }
        await this.sleep(free > 0 ? this.idlePollMs : 5);
      } catch (err) {
        // Extend the leases first thing once the database answers again.
        if (this.outage.failed(err, 'worker')) lastHeartbeat = 0;
        else this.log.error({ err }, 'worker loop error');
        await pause(this.loopBackoff.next(), this.stopping.signal);
      }
    }
  }

  private databaseAnswered(startedAt: number): void {
    this.loopBackoff.reset();
    this.outage.succeeded(startedAt);
  }

  /**
   * Runs one write of a job's outcome (completion, failure, hand-back). While the database is
   * unavailable it waits and tries again with backoff, so an outcome is never dropped: a job that
   * ran is not run again and a job the outage interrupted does not lose an attempt. Gives up only
   * when a stop's grace period is over (the lease then expires and the reaper hands the job on).
   */
  private async writeOutcome<T>(write: () => Promise<T>): Promise<T> {
    const backoff = new LoopBackoff();
    for (;;) {
      const startedAt = Date.now();
      try {
        const result = await write();
        this.outage.succeeded(startedAt);
        return result;
      } catch (err) {
        if (!this.outage.failed(err, 'worker') || this.controller.signal.aborted) throw err;
        await pause(backoff.next(), this.controller.signal);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private runJob(job: Job): void {
    const p = this.execute(job)
      .catch((err: unknown) => this.log.error({ err, job: job.id }, 'could not record the outcome of a job'))
      .finally(() => {
        this.running.delete(job.id);
        // On the next macrotask, so every job finishing in this batch frees its slot first and the
        // loop claims one batch instead of one job at a time.
        setImmediate(() => this.nudge());
      });
    this.running.set(job.id, p);
  }

  /**
   * Completes a finished job. Completions are batched like a group commit: those arriving while a
   * DELETE is in flight go together in the next one, so a busy worker pays one statement (and, on
   * PostgreSQL, one commit) per batch rather than per job. Resolves false when the lease was lost.
   */
  private complete(id: string): Promise<boolean> {
    return new Promise((done, failed) => {
      this.completions.push({ id, done, failed });
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flushCompletions());
    });
  }

  private async flushCompletions(): Promise<void> {
    while (this.completions.length > 0) {
      const batch = this.completions.splice(0, 500);
      try {
        // Completions that arrive while this batch waits out an outage go together in the next one.
        const held = await this.writeOutcome(() =>
          completeJobs(
            this.db.kysely,
            batch.map((c) => c.id),
            this.name,
          ),
        );
        for (const c of batch) c.done(held.has(c.id));
      } catch (err) {
        for (const c of batch) c.failed(err);
      }
    }
    this.flushing = null;
  }

  private async execute(job: Job): Promise<void> {
    const registered = this.handlers[job.kind];
    const log = this.log.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    try {
      if (!registered) throw new Error(`no handler for job kind "${job.kind}"`);
      // Parsed with the kind's schema before the handler runs: a payload it refuses ends the job
      // dead with the reason (InvalidJobPayload), it is never retried.
      const payload = parsePayload(registered, JSON.parse(job.payload) as unknown);
      await registered.run(payload, {
        job,
        worker: this.name,
        signal: this.controller.signal,
      });
    } catch (err) {
      if (this.controller.signal.aborted) return; // released by stop()
      await this.recordFailure(job, err, log);
      return;
    }
    if (!(await this.complete(job.id))) {
      log.warn('job finished after its lease was lost; another worker may run it again');
      return;
    }
    this.metrics.jobsCompleted.inc({ kind: job.kind });
    this.metrics.jobLatency.observe((this.clock.now() - job.run_at) / 1000, { kind: job.kind });
  }

  private async recordFailure(job: Job, err: unknown, log: Logger): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    if (this.outage.failed(err, 'worker')) {
      // The database vanished under the handler: not the job's failure. It goes back to the queue
      // without using an attempt (so an outage can never make a job dead) and runs again once the
      // database is back; handlers are idempotent.
      await this.writeOutcome(() =>
        failJob(this.db.kysely, job, this.name, message, {
          countAttempt: false,
          retryAt: this.clock.now(),
          now: this.clock.now(),
        }),
      );
      this.metrics.jobsFailed.inc({ kind: job.kind, outcome: 'rescheduled' });
      return;
    }
    if (err instanceof InvalidJobPayload) {
      const outcome = await this.writeOutcome(() =>
        failJob(this.db.kysely, job, this.name, message, { final: true, now: this.clock.now() }),
      );
      this.metrics.jobsFailed.inc({ kind: job.kind, outcome });
      log.error({ err: message }, 'job is dead: its stored payload does not parse');
      return;
    }
    if (err instanceof RetryLater) {
      await this.writeOutcome(() =>
        failJob(this.db.kysely, job, this.name, message, {
          retryAt: err.retryAt,
          countAttempt: err.countAttempt,
          now: this.clock.now(),
        }),
      );
      this.metrics.jobsFailed.inc({ kind: job.kind, outcome: 'rescheduled' });
      return;
    }
    const retryAt =
      err instanceof FailureError && err.failure.retryAfterMs !== undefined
        ? this.clock.now() + err.failure.retryAfterMs
        : undefined;
    const outcome = await this.writeOutcome(() =>
      failJob(this.db.kysely, job, this.name, message, {
        now: this.clock.now(),
        ...(retryAt ? { retryAt } : {}),
      }),
    );
    this.metrics.jobsFailed.inc({ kind: job.kind, outcome });
    if (outcome === 'dead') log.error({ err }, 'job is dead after its last attempt');
    else log.warn({ err: message }, 'job failed; will retry');
  }
}
