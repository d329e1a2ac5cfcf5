import type { Selectable } from 'kysely';
import type { Executor } from '../../adapters/store/db.js';
import type {
  EntitlementsTable,
  PricesTable,
  ServerRolesTable,
  ServersTable,
} from '../../adapters/store/schema.js';

/** The catalog's queries: entitlements, their prices, and the claims on creating their Stripe twins. */

export type EntitlementRow = Selectable<EntitlementsTable>;
export type PriceRow = Selectable<PricesTable>;
export type ServerRow = Selectable<ServersTable>;

export async function rolesOfServer(db: Executor, serverId: string): Promise<Selectable<ServerRolesTable>[]> {
  return db.selectFrom('server_roles').selectAll().where('server_id', '=', serverId).execute();
}

// --- entitlements ---

export async function insertEntitlement(db: Executor, row: EntitlementRow): Promise<void> {
  await db.insertInto('entitlements').values(row).execute();
}

export async function entitlementById(db: Executor, id: string): Promise<EntitlementRow | null> {
  return (await db.selectFrom('entitlements').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function entitlementsPage(
  db: Executor,
  filter: {
    serverId?: string | undefined;
    archived?: boolean | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<EntitlementRow[]> {
  let q = db
    .selectFrom('entitlements')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.serverId) q = q.where('server_id', '=', filter.serverId);
  if (filter.archived !== undefined) q = q.where('archived_at', filter.archived ? 'is not' : 'is', null);
  if (filter.afterId) q = q.where('id', '<', filter.afterId);
  return q.execute();
}

export async function updateEntitlementRow(
  db: Executor,
  id: string,
  change: Partial<Omit<EntitlementRow, 'id'>>,
): Promise<void> {
  await db.updateTable('entitlements').set(change).where('id', '=', id).execute();
}

/** The (server, Discord user) pairs holding a live grant of an entitlement at `now`. */
export async function liveHoldersOf(db: Executor, entitlementId: string, now: number) {
  return db
    .selectFrom('grants')
    .innerJoin('customers', 'customers.id', 'grants.customer_id')
    .select(['grants.server_id as serverId', 'customers.discord_user_id as userId'])
    .distinct()
    .where('grants.entitlement_id', '=', entitlementId)
    .where('grants.active', '=', 1)
    .where('grants.status', '!=', 'revoked')
    .where('customers.discord_user_id', 'is not', null)
    .where((eb) => eb.or([eb('grants.ends_at', 'is', null), eb('grants.ends_at', '>', now)]))
    .execute();
}

// --- prices ---

export async function priceById(db: Executor, id: string): Promise<PriceRow | null> {
  return (await db.selectFrom('prices').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** The Rolegate price (and so the entitlement) a Stripe Price id sells; null when not ours. */
export async function priceByStripeId(db: Executor, stripePriceId: string): Promise<PriceRow | null> {
  return (
    (await db
      .selectFrom('prices')
      .selectAll()
      .where('stripe_price_id', '=', stripePriceId)
      .executeTakeFirst()) ?? null
  );
}

export async function activePricesOf(db: Executor, entitlementIds: string[]): Promise<PriceRow[]> {
  return db
    .selectFrom('prices')
    .selectAll()
    .where('entitlement_id', 'in', entitlementIds)
    .where('active', '=', 1)
    .orderBy('id')
    .execute();
}

/** An entitlement's active prices, oldest first (the first is the default offer). */
export async function activePricesByCreation(db: Executor, entitlementId: string) {
  return db
    .selectFrom('prices')
    .selectAll()
    .where('entitlement_id', '=', entitlementId)
    .where('active', '=', 1)
    .orderBy('created_at')
    .execute();
}

export async function deactivatePrices(db: Executor, ids: string[]): Promise<void> {
  await db.updateTable('prices').set({ active: 0 }).where('id', 'in', ids).execute();
}

export async function insertPrice(db: Executor, row: PriceRow): Promise<void> {
  await db.insertInto('prices').values(row).execute();
}

/** The Stripe Product already made for one of the entitlement's prices, if any. */
export async function stripeProductOfEntitlement(
  db: Executor,
  entitlementId: string,
): Promise<string | null> {
  const sibling = await db
    .selectFrom('prices')
    .select('stripe_product_id')
    .where('entitlement_id', '=', entitlementId)
    .where('stripe_product_id', 'is not', null)
    .executeTakeFirst();
  return sibling?.stripe_product_id ?? null;
}

/** Sets a price's Stripe twin; `onlyIfUnset` leaves a price already linked as it is. */
export async function setStripeTwin(
  db: Executor,
  priceId: string,
  twin: { productId: string; priceId: string },
  onlyIfUnset: boolean,
): Promise<void> {
  let q = db
    .updateTable('prices')
    .set({ stripe_product_id: twin.productId, stripe_price_id: twin.priceId })
    .where('id', '=', priceId);
  if (onlyIfUnset) q = q.where('stripe_price_id', 'is', null);
  await q.execute();
}

// --- Stripe catalog claims (decision 0009) ---

/** Inserts the claim, or takes over one that expired; true when `holder` now holds it. */
export async function claimStripeCatalog(
  db: Executor,
  entitlementId: string,
  holder: string,
  now: number,
  until: number,
): Promise<boolean> {
  const r = await db
    .insertInto('stripe_catalog_claims')
    .values({ entitlement_id: entitlementId, holder, claimed_until: until })
    .onConflict((oc) =>
      oc
        .column('entitlement_id')
        .doUpdateSet({ holder, claimed_until: until })
        .where('stripe_catalog_claims.claimed_until', '<', now),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function releaseStripeCatalog(
  db: Executor,
  entitlementId: string,
  holder: string,
): Promise<void> {
  await db
    .deleteFrom('stripe_catalog_claims')
    .where('entitlement_id', '=', entitlementId)
    .where('holder', '=', holder)
    .execute();
}

// --- plan moves ---

export type PlanMoveKind = 'upgrade' | 'downgrade' | 'switch';
export interface PlanMove {
  toEntitlementId: string;
  kind: PlanMoveKind;
}

export async function planMovesFrom(db: Executor, entitlementId: string): Promise<PlanMove[]> {
  const rows = await db
    .selectFrom('plan_moves')
    .select(['to_entitlement_id', 'kind'])
    .where('entitlement_id', '=', entitlementId)
    .orderBy('created_at')
    .orderBy('to_entitlement_id')
    .execute();
  return rows.map((r) => ({ toEntitlementId: r.to_entitlement_id, kind: r.kind as PlanMoveKind }));
}

export async function replacePlanMoves(
  db: Executor,
  entitlementId: string,
  moves: readonly PlanMove[],
  now: number,
): Promise<void> {
  await db.deleteFrom('plan_moves').where('entitlement_id', '=', entitlementId).execute();
  if (moves.length === 0) return;
  await db
    .insertInto('plan_moves')
    .values(
      moves.map((m) => ({
        entitlement_id: entitlementId,
        to_entitlement_id: m.toEntitlementId,
        kind: m.kind,
        created_at: now,
      })),
    )
    .execute();
}

/** Active recurring prices of these entitlements (a plan change swaps to one; its Stripe twin is made on first use). */
export async function switchablePrices(db: Executor, entitlementIds: readonly string[]): Promise<PriceRow[]> {
  if (entitlementIds.length === 0) return [];
  return db
    .selectFrom('prices')
    .selectAll()
    .where('entitlement_id', 'in', entitlementIds)
    .where('active', '=', 1)
    .where('kind', '=', 'recurring')
    .orderBy('amount')
    .execute();
}
