import type { Executor } from '../../../adapters/store/db.js';

/**
 * The gateway leader lease (docs/decisions/0018-gateway-listener.md): one row per bot in the shared
 * database. An instance holds it while it keeps renewing it; when it stops (crash, kill, lost
 * database) the row expires and any other instance takes it. Times are wall-clock epoch ms of the
 * instance writing them, so instances on several hosts need synchronised clocks (NTP), as the
 * periodic tasks already do.
 */

/** The one lease name: Rolegate runs one bot. */
export const GATEWAY_LEASE = 'discord';

export type GatewayStatus = 'connecting' | 'connected' | 'no_members_intent' | 'disconnected';

/**
 * Takes the lease when it is free or expired, or renews it when `holder` has it; false when another
 * live instance holds it. One conditional UPDATE: two instances racing for an expired lease cannot
 * both win it.
 */
export async function claimLease(db: Executor, holder: string, now: number, ttlMs: number): Promise<boolean> {
  await db
    .insertInto('gateway_leases')
    .values({
      name: GATEWAY_LEASE,
      holder,
      expires_at: 0,
      status: 'disconnected',
      detail: null,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const r = await db
    .updateTable('gateway_leases')
    .set({ holder, expires_at: now + ttlMs })
    .where('name', '=', GATEWAY_LEASE)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<=', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Lets the lease go at once (a clean shutdown): the next instance need not wait for it to expire. */
export async function releaseLease(db: Executor, holder: string, now: number): Promise<void> {
  await db
    .updateTable('gateway_leases')
    .set({ expires_at: 0, status: 'disconnected', detail: 'the leader stopped', updated_at: now })
    .where('name', '=', GATEWAY_LEASE)
    .where('holder', '=', holder)
    .execute();
}

/** The leader records where its connection stands (ignored when `holder` no longer leads). */
export async function recordGatewayStatus(
  db: Executor,
  holder: string,
  status: GatewayStatus,
  detail: string | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('gateway_leases')
    .set({ status, detail, updated_at: now })
    .where('name', '=', GATEWAY_LEASE)
    .where('holder', '=', holder)
    .execute();
}

export interface GatewayHealth {
  /** `off` when no instance leads (GATEWAY=off everywhere, or every listener is down). */
  status: GatewayStatus | 'off';
  /** Whether member joins and role edits are repaired at once (false: only by reconcile). */
  member_events: boolean;
  detail: string | null;
  since: string | null;
}

/** Where the gateway stands, as any instance sees it in the shared database. */
export async function readGatewayHealth(db: Executor, now: number): Promise<GatewayHealth> {
  const row = await db
    .selectFrom('gateway_leases')
    .selectAll()
    .where('name', '=', GATEWAY_LEASE)
    .executeTakeFirst();
  if (!row || row.expires_at <= now)
    return {
      status: 'off',
      member_events: false,
      detail:
        'No instance is listening to the Discord gateway (GATEWAY=off, or no serve/worker is running): drift is repaired by the periodic reconcile.',
      since: row ? new Date(row.updated_at).toISOString() : null,
    };
  return {
    status: row.status as GatewayStatus,
    member_events: row.status === 'connected',
    detail: row.detail,
    since: new Date(row.updated_at).toISOString(),
  };
}
