import type { Failure } from '../../core/failure.js';
import { FailureError } from '../../core/failure.js';
import { isLive } from '../../core/desired-roles.js';
import { IllegalTransitionError } from '../../core/grant-state.js';
import { AppError } from '../../core/errors.js';
import type { AppContext } from '../shared/context.js';
import { inTransaction } from '../shared/context.js';
import { applyGrantEvent, type GrantEventOptions } from '../grants/grants.js';
import type { AccessGrant } from './access-grant.js';
import { recordFailure, type FailedStep } from './apply.js';
import type { ServerRow } from './store/servers.js';

/** What member sync writes back to the grants after (or instead of) its Discord calls. */

export interface SyncResult {
  /** Mutating Discord calls made. */
  changes: number;
  outcome: 'done' | 'paused' | 'failed' | 'skipped';
  failure?: Failure;
}

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
  grants: AccessGrant[],
  failure: Failure,
  cause: string,
  failedRoles?: Set<string>,
) {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    if (failedRoles && !g.entitlement.roleIds.some((r) => failedRoles.has(r))) continue;
    if (g.status === 'failed' && g.lastErrorCode === failure.code && g.lastErrorMessage === failure.message)
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
  grants: AccessGrant[],
  memberRoles: ReadonlySet<string>,
  cause: string,
) {
  const now = ctx.clock.now();
  for (const g of grants) {
    if (!isLive(g, now)) continue;
    const given = g.entitlement.roleIds.filter((r) => memberRoles.has(r)).sort();
    const same = JSON.stringify([...g.grantedRoleIds].sort()) === JSON.stringify(given);
    if (g.status === 'delivered' && same) continue; // a renewal or repeated sync: nothing to write
    await recordOutcome(ctx, g.id, 'delivery_succeeded', { cause, grantedRoleIds: given });
  }
}

/**
 * Records a failure (apply.ts: a merchant failure pauses the server, then the sync-log row) and
 * reacts by owner.
 */
export async function handleFailure(
  ctx: AppContext,
  server: ServerRow,
  grants: AccessGrant[],
  userId: string,
  cause: string,
  err: unknown,
  at: FailedStep,
): Promise<SyncResult> {
  const error = await recordFailure(ctx, { serverId: server.id, userId, cause }, err, at);
  return reactToFailure(ctx, server, grants, cause, error, at);
}

/**
 * What member sync does with a recorded failure, by owner: merchant → mark the grants failed (the
 * server is paused already); customer / bug → mark the grants failed (retrying cannot help); retry →
 * rethrow so the job backs off (the grants stay as they are meanwhile).
 */
export async function reactToFailure(
  ctx: AppContext,
  server: ServerRow,
  grants: AccessGrant[],
  cause: string,
  err: FailureError,
  at: FailedStep,
): Promise<SyncResult> {
  const failure = err.failure;
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
          grants.filter((g) => g.status !== 'delivered'),
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
