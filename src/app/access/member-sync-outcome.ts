import type { Failure } from '../../core/failure.js';
import { FailureError } from '../../core/failure.js';
import { isLive } from '../../core/desired-roles.js';
import { IllegalTransitionError } from '../../core/grant-state.js';
import { AppError } from '../../core/errors.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { applyGrantEvent, type GrantEventOptions } from '../grants/grants.js';
import { writeSyncLog, type LoadedGrant } from './member-sync-data.js';
import { pauseServer, type ServerRow } from './servers.js';

/** What member sync writes back to the grants after (or instead of) its Discord calls. */

export interface SyncResult {
  /** Mutating Discord calls made. */
  changes: number;
  outcome: 'done' | 'paused' | 'failed' | 'skipped';
  failure?: Failure;
}

export type SyncAction = 'add_role' | 'remove_role' | 'join' | 'kick' | 'check';

/**
 * Writes a delivery outcome. A grant that changed meanwhile (revoked, suspended, or written by a
 * concurrent run) is skipped: that change queued its own sync, which will record the truth.
 */
async function recordOutcome(
  ctx: AppContext,
  grantId: string,
  event: 'delivery_succeeded' | 'delivery_failed',
  options: GrantEventOptions,
) {
  try {
    await inTransaction(ctx, (tx) => applyGrantEvent(ctx, tx, grantId, event, options));
  } catch (err) {
    if (err instanceof IllegalTransitionError || (err instanceof AppError && err.code === 'conflict')) return;
    throw err;
  }
}

/** Marks every live grant that is not yet delivered — or that `failedRoles` concern — as failed with `failure`. */
export async function markFailed(
  ctx: AppContext,
  grants: LoadedGrant[],
  failure: Failure,
  cause: string,
  failedRoles?: Set<string>,
) {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    if (failedRoles && !g.entitlement.roleIds.some((r) => failedRoles.has(r))) continue;
    if (
      g.row.status === 'failed' &&
      g.row.last_error_code === failure.code &&
      g.row.last_error_message === failure.message
    )
      continue; // unchanged: no write, no webhook
    await recordOutcome(ctx, g.id, 'delivery_failed', {
      cause,
      error: { code: failure.code, message: failure.message, owner: failure.owner },
    });
  }
}

/** Marks every live grant delivered with the roles of it the member now holds (unchanged → no write). */
export async function markDelivered(
  ctx: AppContext,
  grants: LoadedGrant[],
  memberRoles: ReadonlySet<string>,
  cause: string,
) {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    const given = g.entitlement.roleIds.filter((r) => memberRoles.has(r)).sort();
    const same = JSON.stringify([...g.grantedRoleIds].sort()) === JSON.stringify(given);
    if (g.row.status === 'delivered' && same) continue; // a renewal or repeated sync: nothing to write
    await recordOutcome(ctx, g.id, 'delivery_succeeded', { cause, grantedRoleIds: given });
  }
}

/**
 * Records a failure and reacts by owner: merchant → pause the server (plain-words reason) and mark
 * the grants failed; customer / bug → mark the grants failed (retrying cannot help); retry → rethrow
 * so the job backs off (the grants stay as they are meanwhile).
 */
export async function handleFailure(
  ctx: AppContext,
  server: ServerRow,
  grants: LoadedGrant[],
  userId: string,
  cause: string,
  err: unknown,
  at: { action: SyncAction; roleId?: string; grantId: string | null },
): Promise<SyncResult> {
  if (!(err instanceof FailureError)) throw err;
  const failure = err.failure;
  // Pause before logging, so the heal task (which re-syncs members logged since paused_at) sees this row.
  if (failure.owner === 'merchant')
    await pauseServer(ctx.db.kysely, server.id, failure.message, ctx.clock.now());
  await writeSyncLog(ctx, {
    serverId: server.id,
    userId,
    grantId: at.grantId,
    action: at.action,
    roleId: at.roleId ?? null,
    outcome: 'failed',
    failure,
    cause,
  });
  switch (failure.owner) {
    case 'retry':
      throw err;
    case 'merchant':
      ctx.log.warn(
        { serverId: server.id, code: failure.code },
        'server paused: the merchant must fix its setup',
      );
      // A role that could not be added fails the grants that want it (even delivered ones: the role
      // is missing); any other failure fails only grants still waiting for delivery.
      if (at.action === 'add_role' && at.roleId)
        await markFailed(ctx, grants, failure, cause, new Set([at.roleId]));
      else
        await markFailed(
          ctx,
          grants.filter((g) => g.row.status !== 'delivered'),
          failure,
          cause,
        );
      return { changes: 0, outcome: 'paused', failure };
    case 'customer':
    case 'bug':
      if (failure.owner === 'bug')
        ctx.log.error({ serverId: server.id, failure }, 'Discord rejected a request Rolegate made');
      await markFailed(ctx, grants, failure, cause);
      return { changes: 0, outcome: 'failed', failure };
  }
}
