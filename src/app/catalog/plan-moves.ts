import { AppError, notFound } from '../../core/errors.js';
import type { AppContext } from '../shared/context.js';
import {
  entitlementById,
  planMovesFrom,
  replacePlanMoves,
  switchablePrices,
  type EntitlementRow,
  type PlanMove,
  type PriceRow,
} from './store.js';

/**
 * The plan changes a merchant offers (decision 0022): from an entitlement to another one of the
 * same server, marked an upgrade or a downgrade, or between the prices of the entitlement itself
 * (`switch`, e.g. monthly ↔ yearly). Nothing is offered until the merchant says so.
 */

export type { PlanMove, PlanMoveKind } from './store.js';

export interface PlanMovesView {
  entitlement_id: string;
  moves: { to_entitlement_id: string; kind: PlanMove['kind'] }[];
}

const view = (entitlementId: string, moves: PlanMove[]): PlanMovesView => ({
  entitlement_id: entitlementId,
  moves: moves.map((m) => ({ to_entitlement_id: m.toEntitlementId, kind: m.kind })),
});

async function liveEntitlement(ctx: AppContext, id: string): Promise<EntitlementRow> {
  const e = await entitlementById(ctx.db.kysely, id);
  if (!e) throw notFound('entitlement', id);
  return e;
}

export async function getPlanMoves(ctx: AppContext, entitlementId: string): Promise<PlanMovesView> {
  await liveEntitlement(ctx, entitlementId);
  return view(entitlementId, await planMovesFrom(ctx.db.kysely, entitlementId));
}

/** Replaces the moves offered from an entitlement. Each target must be live and on the same server. */
export async function setPlanMoves(
  ctx: AppContext,
  entitlementId: string,
  moves: readonly PlanMove[],
): Promise<PlanMovesView> {
  const from = await liveEntitlement(ctx, entitlementId);
  const seen = new Set<string>();
  for (const move of moves) {
    if (seen.has(move.toEntitlementId))
      throw new AppError('validation_failed', `${move.toEntitlementId} is listed twice`);
    seen.add(move.toEntitlementId);
    const self = move.toEntitlementId === entitlementId;
    if (self !== (move.kind === 'switch'))
      throw new AppError(
        'validation_failed',
        self
          ? 'A move to the same entitlement switches between its prices: its kind is `switch`.'
          : '`switch` moves between the prices of one entitlement; another entitlement is an `upgrade` or a `downgrade`.',
      );
    if (self) continue;
    const to = await entitlementById(ctx.db.kysely, move.toEntitlementId);
    if (!to) throw notFound('entitlement', move.toEntitlementId);
    if (to.archived_at !== null)
      throw new AppError('conflict', `Entitlement ${to.id} is archived: buyers cannot move to it.`);
    if (to.server_id !== from.server_id)
      throw new AppError(
        'conflict',
        `Entitlement ${to.id} is on another server: a plan change keeps the buyer in the same server.`,
      );
  }
  await replacePlanMoves(ctx.db.kysely, entitlementId, moves, ctx.clock.now());
  return view(entitlementId, [...moves]);
}

export interface PlanOption {
  price: PriceRow;
  entitlementId: string;
  entitlementName: string;
  kind: PlanMove['kind'];
}

/**
 * What a holder of `entitlementId` on `currentPriceId` may move to: the recurring prices of the
 * offered targets in the same currency, never the price they already pay.
 */
export async function planOptions(
  ctx: AppContext,
  entitlementId: string,
  current: { priceId: string | null; currency: string | null },
): Promise<PlanOption[]> {
  const db = ctx.db.kysely;
  const moves = await planMovesFrom(db, entitlementId);
  const names = new Map<string, string>();
  for (const m of moves) {
    const e = await entitlementById(db, m.toEntitlementId);
    if (e && e.archived_at === null) names.set(e.id, e.name);
  }
  const kindOf = new Map(moves.map((m) => [m.toEntitlementId, m.kind]));
  const prices = await switchablePrices(db, [...names.keys()]);
  return prices
    .filter((p) => p.id !== current.priceId && (current.currency === null || p.currency === current.currency))
    .map((p) => ({
      price: p,
      entitlementId: p.entitlement_id,
      entitlementName: names.get(p.entitlement_id) ?? p.entitlement_id,
      kind: kindOf.get(p.entitlement_id) ?? 'switch',
    }));
}
