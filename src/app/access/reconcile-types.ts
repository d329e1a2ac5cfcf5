import type { BreakerLimits } from '../../core/reconcile-breaker.js';

/** What a reconcile run takes, reports and plans (see reconcile.ts and docs/decisions/0006-reconcile.md). */

export interface ReconcileProgress {
  phase: 'health' | 'read' | 'repair' | 'done';
  membersRead: number;
  /** Members expected when known (the intent-off fallback knows; List Guild Members does not). */
  expected: number | null;
  repaired: number;
}

export interface ReconcileOptions {
  /** Compute and report the diff; change nothing (no Discord writes, no database writes). */
  dryRun?: boolean;
  /** Recorded in the sync log and audit-log reasons. Default `reconcile`. */
  cause?: string;
  /** Apply removals even when the breaker would stop them (a person looked at the diff). */
  confirmRemovals?: boolean;
  /** Default: RECONCILE_BREAKER_MAX_REMOVALS / RECONCILE_BREAKER_MAX_SHARE from the config. */
  breaker?: BreakerLimits;
  /**
   * Try List Guild Members even when the intent was recorded as off (a person runs the CLI after
   * turning it on). Scheduled runs leave it off, so no 403 is repeated every few minutes.
   */
  retryMembersIntent?: boolean;
  onProgress?: (p: ReconcileProgress) => void;
}

export interface MemberDrift {
  userId: string;
  add: string[];
  remove: string[];
  /** A buyer with a live grant who is not in the server. */
  join?: boolean;
  /** A member the revoke policy says to kick (handed to member sync, which checks it can). */
  kick?: boolean;
}

export interface ReconcileReport {
  serverId: string;
  guildId: string;
  dryRun: boolean;
  outcome: 'done' | 'paused' | 'skipped' | 'breaker';
  /** Plain words when the server is (or stays) paused. */
  pauseReason: string | null;
  healed: boolean;
  membersIntent: boolean;
  membersRead: number;
  listCalls: number;
  /** GET member calls of the intent-off fallback. */
  memberReads: number;
  /** Guild, roles and bot-member reads of the health check. */
  healthCalls: number;
  /** Mutating calls made (PUT/DELETE role). */
  writeCalls: number;
  drift: MemberDrift[];
  /** Managed role assignments seen (the base of the breaker's share). */
  assignments: number;
  removals: number;
  repaired: number;
  failed: number;
  /** Member syncs queued (joins, kicks, failed repairs, grants waiting for a delivered status). */
  queuedSyncs: number;
  skippedByBreaker: boolean;
}
