import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { migrate, openDb, type Db } from '../adapters/store/db.js';
import { loadSecrets } from '../adapters/crypto/secrets.js';
import { LogOnlyMail, SmtpMail } from '../adapters/mail/smtp.js';
import type { AppContext } from '../app/shared/context.js';
import type { Ports } from '../core/ports/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import { DatabaseOutage } from '../jobs/db-outage.js';
import { buildHandlers, periodicTasks } from './job-handlers.js';
import { queueDepth } from '../adapters/store/queue.js';
import { Scheduler } from '../jobs/scheduler.js';
import { Worker } from '../jobs/worker.js';
import type { RegisteredJob } from '../core/jobs.js';
import { buildHttpServer } from '../http/server.js';
import { createLogger, logDestination } from '../ops/logger.js';
import { Metrics } from '../ops/metrics.js';
import { buildPorts } from './ports.js';
import { startGatewayListener } from './gateway.js';
import type { GatewayListener, GatewayListenerOptions } from '../app/access/gateway-listener.js';

export interface StartOptions {
  config: Config;
  /** Which parts run in this process. `serve` runs all three. */
  run: { http: boolean; worker: boolean; scheduler: boolean; gateway?: boolean };
  /** Gateway listener timings (tests shorten them); the listener runs when `run.gateway` and GATEWAY=on. */
  gateway?: Omit<GatewayListenerOptions, 'open'>;
  clock?: Clock;
  logger?: Logger;
  /** Replace outside services (tests point them at the local Discord/Stripe). */
  ports?: Partial<Ports>;
  /** Extra job kinds and handlers (benchmarks, tests); one of a kind the app has replaces the app's. */
  extraJobs?: RegisteredJob[];
}

export interface Rolegate {
  ctx: AppContext;
  http: FastifyInstance | null;
  worker: Worker | null;
  scheduler: Scheduler | null;
  gateway: GatewayListener | null;
  /** Base URL the HTTP server listens on, when it runs. */
  url: string | null;
  stop(): Promise<void>;
}

/** The queue's depth in Prometheus text: jobs by status and kind, and how many are due. */
async function queueMetrics(db: Db): Promise<string> {
  const depth = await queueDepth(db.kysely);
  const lines = ['# HELP rolegate_jobs Jobs in the queue by status and kind', '# TYPE rolegate_jobs gauge'];
  for (const r of depth.byStatusKind)
    lines.push(`rolegate_jobs{status="${r.status}",kind="${r.kind}"} ${r.n}`);
  lines.push(
    '# HELP rolegate_jobs_due Queued jobs whose run time has come',
    '# TYPE rolegate_jobs_due gauge',
    `rolegate_jobs_due ${depth.due}`,
  );
  return lines.join('\n');
}

/** The composition root: opens storage, migrates, wires adapters, and starts what `run` asks for. */
export async function startRolegate(options: StartOptions): Promise<Rolegate> {
  const { config } = options;
  const log = options.logger ?? createLogger(config.LOG_LEVEL, logDestination(config.LOG_FORMAT));
  const db: Db = openDb(config.DATABASE_URL, {
    // Each broken connection; the outage itself is logged once, by `outage` below.
    onConnectionError: (err) => log.debug({ err: err.message }, 'database connection lost'),
  });
  await migrate(db);
  const metrics = new Metrics();
  let worker: Worker | null = null;
  const ctx: AppContext = {
    db,
    clock: options.clock ?? systemClock,
    log,
    metrics,
    config,
    secrets: loadSecrets(config.ENCRYPTION_KEY, config.DATA_DIR),
    ports: {
      mail: config.SMTP_URL
        ? new SmtpMail(config.SMTP_URL, config.MAIL_FROM)
        : new LogOnlyMail((m, to) => log.info({ to }, m)),
      discord: null,
      stripe: null,
      checkout: null,
    },
    publicUrl: (config.PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, ''),
    nudge: () => worker?.nudge(),
  };
  Object.assign(ctx.ports, buildPorts(ctx), options.ports ?? {});
  metrics.addCollector(() => queueMetrics(db));

  const handlers = {
    ...buildHandlers(ctx),
    ...Object.fromEntries((options.extraJobs ?? []).map((r) => [r.job.kind, r])),
  };
  // One per process: the worker and the scheduler report a database outage once between them.
  const outage = new DatabaseOutage(log);
  if (options.run.worker) {
    worker = new Worker(db, handlers, log.child({ part: 'worker' }), metrics, {
      concurrency: config.WORKER_CONCURRENCY,
      leaseMs: config.JOB_LEASE_SECONDS * 1000,
      clock: ctx.clock,
      outage,
    });
    worker.start();
  }
  const scheduler = options.run.scheduler
    ? new Scheduler(db, periodicTasks(ctx), log.child({ part: 'scheduler' }), 1000, ctx.clock, outage)
    : null;
  scheduler?.start();
  const gateway = options.run.gateway ? startGatewayListener(ctx, options.gateway) : null;

  let http: FastifyInstance | null = null;
  let url: string | null = null;
  if (options.run.http) {
    http = await buildHttpServer(ctx);
    url = await http.listen({ port: config.PORT, host: config.HOST });
    if (!config.PUBLIC_URL) ctx.publicUrl = url.replace(/\/$/, '');
  }

  let stopping: Promise<void> | null = null;
  return {
    ctx,
    http,
    worker,
    scheduler,
    gateway,
    url,
    stop: () =>
      (stopping ??= (async () => {
        scheduler?.stop();
        await gateway?.stop();
        await http?.close();
        await worker?.stop();
        await db.close();
      })()),
  };
}
