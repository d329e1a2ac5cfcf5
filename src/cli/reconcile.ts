import type { Config } from '../config.js';
import type { AppContext } from '../app/shared/context.js';
import { reconcileServer, type ReconcileProgress, type ReconcileReport } from '../app/access/reconcile.js';
import { serversIn, storedRoles } from '../app/access/store/servers.js';
import { startRolegate } from '../main/app.js';

/**
 * `rolegate reconcile [--server ID] [--dry-run] [--confirm-removals]`: reconciles one server (or
 * every connected one) now, prints the diff, and shows progress on stderr — a bar on a terminal,
 * plain lines otherwise (CI logs, pipes).
 */

export const RECONCILE_USAGE =
  'usage: rolegate reconcile [--server SERVER_ID] [--dry-run] [--confirm-removals]';

/** Where the command writes; tests pass their own. */
export interface CliIo {
  out(line: string): void;
  /** Progress; `transient` lines may be overwritten by the next one (a TTY bar). */
  progress(line: string, transient: boolean): void;
  isTty: boolean;
}

const BAR_WIDTH = 24;

/** One progress line. With a known total it draws a bar; listing members has none, so it counts. */
export function progressLine(label: string, p: ReconcileProgress, tty: boolean, frame = 0): string {
  const counts = `${p.membersRead.toLocaleString('en-US')} members read, ${p.repaired} repaired`;
  if (p.phase === 'health') return `${label}: checking the server's setup…`;
  if (p.phase === 'done') return `${label}: done — ${counts}`;
  if (!tty) return `${label}: ${p.phase === 'repair' ? 'repairing' : 'reading'} — ${counts}`;
  let bar: string;
  if (p.expected) {
    const filled = Math.min(BAR_WIDTH, Math.round((p.membersRead / p.expected) * BAR_WIDTH));
    bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor((p.membersRead / p.expected) * 100)}%`;
  } else {
    // Unknown total: a block sliding along the bar shows that pages keep coming.
    const at = frame % (BAR_WIDTH - 3);
    bar = `[${'-'.repeat(at)}###${'-'.repeat(BAR_WIDTH - 3 - at)}]`;
  }
  return `${label} ${bar} ${counts}`;
}

/** The diff, one line per member, with role names where known. */
export function formatReport(report: ReconcileReport, roleNames: ReadonlyMap<string, string>): string[] {
  const name = (id: string) => roleNames.get(id) ?? id;
  const lines = [
    `server ${report.serverId} (guild ${report.guildId})${report.dryRun ? ' — dry run, nothing changed' : ''}`,
  ];
  for (const d of report.drift) {
    const parts = [
      ...d.add.map((r) => `+${name(r)}`),
      ...d.remove.map((r) => `-${name(r)}`),
      ...(d.join ? ['not in the server (a member sync adds them when they linked Discord)'] : []),
      ...(d.kick ? ['kick (per the revoke policy)'] : []),
    ];
    lines.push(`  member ${d.userId}: ${parts.join(' ')}`);
  }
  if (report.drift.length === 0 && report.outcome === 'done')
    lines.push('  no drift: every member has exactly the roles they paid for');
  const calls = `${report.listCalls} list + ${report.memberReads} member reads + ${report.writeCalls} role changes (+${report.healthCalls} health reads)`;
  lines.push(
    `  ${report.membersRead} members read, ${report.drift.length} drifted, ${report.repaired} repaired, ${report.failed} failed, ${report.queuedSyncs} member syncs queued; Discord calls: ${calls}`,
  );
  if (!report.membersIntent)
    lines.push(
      '  the Server Members intent is off: buyers were read one by one (turn it on in the Developer Portal → Bot)',
    );
  if (report.outcome === 'breaker') lines.push(`  STOPPED by the breaker: ${report.pauseReason ?? ''}`);
  else if (report.outcome === 'paused') lines.push(`  PAUSED: ${report.pauseReason ?? ''}`);
  if (report.healed) lines.push('  the server was paused and is healthy again: resumed');
  return lines;
}

export interface ReconcileCommandOptions {
  serverId?: string | undefined;
  dryRun: boolean;
  confirmRemovals: boolean;
}

/** Runs the command against an open app; returns the reports (the exit code follows from them). */
export async function reconcileCommand(
  ctx: AppContext,
  options: ReconcileCommandOptions,
  io: CliIo,
): Promise<ReconcileReport[]> {
  const servers = await serversIn(ctx.db.kysely, ['active', 'paused'], options.serverId);
  if (servers.length === 0) {
    io.out(options.serverId ? `no connected server ${options.serverId}` : 'no connected servers');
    return [];
  }
  const reports: ReconcileReport[] = [];
  for (const s of servers) {
    let frame = 0;
    let last = '';
    const report = await reconcileServer(ctx, s.id, {
      dryRun: options.dryRun,
      confirmRemovals: options.confirmRemovals,
      // A person is watching: try the members list again in case the intent was turned back on.
      retryMembersIntent: true,
      onProgress: (p) => {
        const line = progressLine(s.name, p, io.isTty, frame++);
        if (line === last) return;
        last = line;
        io.progress(line, io.isTty && p.phase !== 'done');
      },
    });
    const roles = await storedRoles(ctx.db.kysely, s.id);
    for (const line of formatReport(report, new Map(roles.map((r) => [r.id, r.name])))) io.out(line);
    reports.push(report);
  }
  return reports;
}

/** The stderr progress: on a TTY each line overwrites the previous one; otherwise plain lines. */
function terminalIo(): CliIo {
  const tty = process.stderr.isTTY;
  let open = false;
  return {
    isTty: tty,
    out: (line) => {
      if (open) process.stderr.write('\n');
      open = false;
      process.stdout.write(`${line}\n`);
    },
    progress: (line, transient) => {
      if (!tty) return void process.stderr.write(`${line}\n`);
      process.stderr.write(`\r\x1b[2K${line}`);
      open = transient;
      if (!transient) process.stderr.write('\n');
    },
  };
}

export async function runReconcileCommand(args: string[], config: Config): Promise<void> {
  const unknown = args.filter(
    (a, i) =>
      a.startsWith('--') &&
      !['--server', '--dry-run', '--confirm-removals'].includes(a) &&
      args[i - 1] !== '--server',
  );
  const s = args.indexOf('--server');
  if (unknown.length || (s >= 0 && !args[s + 1])) {
    console.error(RECONCILE_USAGE);
    process.exitCode = 2;
    return;
  }
  const app = await startRolegate({
    config: { ...config, LOG_LEVEL: 'warn' },
    run: { http: false, worker: false, scheduler: false },
  });
  try {
    if (!app.ctx.ports.discord) {
      console.error(
        'Discord is not configured: set DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID (or run the sandbox).',
      );
      process.exitCode = 1;
      return;
    }
    const reports = await reconcileCommand(
      app.ctx,
      {
        serverId: s >= 0 ? args[s + 1] : undefined,
        dryRun: args.includes('--dry-run'),
        confirmRemovals: args.includes('--confirm-removals'),
      },
      terminalIo(),
    );
    // Non-zero when a person must look: the breaker stopped, or a server stays paused.
    if (reports.some((r) => r.outcome === 'breaker' || r.outcome === 'paused')) process.exitCode = 1;
  } finally {
    await app.stop();
  }
}
