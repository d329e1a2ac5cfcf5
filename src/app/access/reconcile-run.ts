import { FailureError, type Failure } from '../../core/failure.js';
import type { DiscordPort } from '../../core/ports/discord.js';
import { roleProblem } from '../../core/role-grantability.js';
import type { BreakerLimits } from '../../core/reconcile-breaker.js';
import type { AppContext } from '../shared/context.js';
import { requireDiscord } from '../shared/services.js';
import { pausedByBreaker } from './breaker.js';
import { healServer } from './heal.js';
import type { MemberRepair } from './reconcile-plan.js';
import type { ReconcileOptions, ReconcileProgress, ReconcileReport } from './reconcile-types.js';
import { readGuild, refreshServer, serverHealth } from './servers.js';
import { loadServer, managedRoleIdsOf, pauseServer, type ServerRow } from './store/servers.js';

/** One reconcile run: what it was asked, what it learnt so far, and what it still owes. */
export interface ReconcileRun {
  ctx: AppContext;
  serverId: string;
  options: ReconcileOptions;
  dryRun: boolean;
  cause: string;
  breaker: BreakerLimits;
  /** The Discord port, counting calls by method (the report's call figures). */
  discord: DiscordPort;
  calls(...methods: string[]): number;
  server: ServerRow;
  /** Whether the server's pause (if any) is the breaker's. */
  breakerPaused: boolean;
  /** Grants and plans are judged at this time (a grant changed later re-syncs its member). */
  now: number;
  report: ReconcileReport;
  /** Members whose repairs wait for the breaker (additions are applied while reading). */
  removals: MemberRepair[];
  /** Members with grants whose roles this run changes (their `granted_role_ids` follow). */
  repaired: MemberRepair[];
  kicks: string[];
  /** Members handed to member sync at the end (failures, joins, kicks, grants waiting for delivery). */
  toSync: Set<string>;
  halt: { failure: Failure | null; unexpected: unknown };
  /** getMember calls of the health check (not member reads). */
  healthMemberReads: number;
}

/** A port that counts the calls made through it, by method. */
function counting(port: DiscordPort, counts: Map<string, number>): DiscordPort {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts.set(String(prop), (counts.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export async function startRun(
  ctx: AppContext,
  serverId: string,
  options: ReconcileOptions,
): Promise<ReconcileRun> {
  const counts = new Map<string, number>();
  const server = await loadServer(ctx.db.kysely, serverId);
  const dryRun = options.dryRun ?? false;
  return {
    ctx,
    serverId,
    options,
    dryRun,
    cause: options.cause ?? 'reconcile',
    breaker: options.breaker ?? {
      maxRemovals: ctx.config.RECONCILE_BREAKER_MAX_REMOVALS,
      maxShare: ctx.config.RECONCILE_BREAKER_MAX_SHARE,
    },
    discord: counting(requireDiscord(ctx), counts),
    calls: (...names) => names.reduce((n, k) => n + (counts.get(k) ?? 0), 0),
    server,
    breakerPaused: false,
    now: 0,
    report: emptyReport(server, dryRun),
    removals: [],
    repaired: [],
    kicks: [],
    toSync: new Set(),
    halt: { failure: null, unexpected: null },
    healthMemberReads: 0,
  };
}

function emptyReport(server: ServerRow, dryRun: boolean): ReconcileReport {
  return {
    serverId: server.id,
    guildId: server.guild_id,
    dryRun,
    outcome: 'done',
    pauseReason: null,
    healed: false,
    membersIntent: server.members_intent === 1,
    membersRead: 0,
    listCalls: 0,
    memberReads: 0,
    healthCalls: 0,
    writeCalls: 0,
    drift: [],
    assignments: 0,
    removals: 0,
    repaired: 0,
    failed: 0,
    queuedSyncs: 0,
    skippedByBreaker: false,
  };
}

export function progress(
  run: ReconcileRun,
  phase: ReconcileProgress['phase'],
  expected: number | null = null,
) {
  const { membersRead, repaired } = run.report;
  run.options.onProgress?.({ phase, membersRead, expected, repaired });
}

/**
 * Health first: no member call for a server whose setup is broken. A paused server is healed (the
 * heal task's check; a breaker pause is left to this run's diff); an active one is re-read and
 * paused when a managed role is no longer grantable. Returns the problem in plain words, or null.
 */
export async function checkHealth(run: ReconcileRun): Promise<string | null> {
  const { ctx, serverId, server } = run;
  const db = ctx.db.kysely;
  const port = { ...ctx, ports: { ...ctx.ports, discord: run.discord } };
  run.breakerPaused = await pausedByBreaker(db, server);
  let problem: string | null = null;
  try {
    if (run.dryRun) {
      const snap = await readGuild(run.discord, server.guild_id);
      for (const id of await managedRoleIdsOf(db, serverId))
        problem ??= roleProblem(id, snap.roles, snap.standing)?.message ?? null;
    } else if (server.status === 'paused' && !run.breakerPaused) {
      run.report.healed = await healServer(port, serverId);
      const after = await loadServer(db, serverId);
      if (!run.report.healed)
        problem = after.pause_reason ?? 'The server is paused until its setup is fixed.';
    } else {
      await refreshServer(port, serverId);
      const first = (await serverHealth(ctx, serverId)).roles.find((r) => r.problem)?.problem;
      if (first) {
        problem = first.message;
        await pauseServer(db, serverId, first.message, ctx.clock.now());
      }
    }
  } catch (err) {
    if (!(err instanceof FailureError) || err.failure.owner === 'retry') throw err;
    problem = err.failure.message;
    if (!run.dryRun && err.failure.owner === 'merchant')
      await pauseServer(db, serverId, problem, ctx.clock.now());
  }
  run.report.healthCalls = run.calls('getBotUser', 'getGuild', 'getMember');
  run.healthMemberReads = run.calls('getMember');
  return problem;
}
