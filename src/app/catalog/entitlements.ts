import type { Executor } from '../../adapters/store/db.js';
import { AppError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import { enqueueMemberSync } from '../grants/grants.js';
import { checkConsistency, checkRolesGrantable } from './entitlement-rules.js';
import { enqueueRolesChannelPublish } from '../buyer/roles-channel.js';
import { loadServer } from '../access/store/servers.js';
import {
  activePricesOf,
  deactivatePrices,
  entitlementById,
  entitlementsPage,
  insertEntitlement,
  insertPrice,
  liveHoldersOf,
  updateEntitlementRow,
  type EntitlementRow,
  type PriceRow,
} from './store.js';

export type { EntitlementRow, PriceRow };

import type {
  CreateEntitlementInput,
  EntitlementFields,
  PriceInput,
  priceIntervals,
  UpdateEntitlementInput,
} from './entitlement-fields.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A full `entitlements` row with the schema's defaults (lifetime access, remove roles on revoke,
 * 3 grace days, keep on partial refund, revoke on dispute, restore when won); `overrides` set the
 * rest. For seeding tests and benchmarks without going through the API's validation.
 */
export function entitlementRow(
  input: { id: string; serverId: string; name: string; now: number } & Partial<EntitlementRow>,
): EntitlementRow {
  const { serverId, now, ...overrides } = input;
  return {
    server_id: serverId,
    description: '',
    role_ids: '[]',
    access_kind: 'lifetime',
    access_days: null,
    trial_days: 0,
    sale_ends_at: null,
    revoke_action: 'remove_roles',
    fallback_role_id: null,
    grace_days: 3,
    enforce_roles: 0,
    partial_refund_policy: 'keep',
    dispute_policy: 'revoke',
    restore_on_dispute_won: 1,
    archived_at: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
}

export function priceView(p: PriceRow) {
  return {
    id: p.id,
    kind: p.kind as PriceInput['kind'],
    amount: p.amount,
    currency: p.currency,
    interval: p.interval as (typeof priceIntervals)[number] | null,
    interval_count: p.interval_count,
    stripe_price_id: p.stripe_price_id,
  };
}

/** The public shape of an entitlement with its active prices. */
export function entitlementView(e: EntitlementRow, prices: PriceRow[]) {
  return {
    id: e.id,
    object: 'entitlement' as const,
    server_id: e.server_id,
    name: e.name,
    description: e.description,
    role_ids: JSON.parse(e.role_ids) as string[],
    prices: prices.map(priceView),
    access: { kind: e.access_kind as EntitlementFields['access']['kind'], days: e.access_days },
    trial_days: e.trial_days,
    sale_ends_at: iso(e.sale_ends_at),
    revoke_action: e.revoke_action as EntitlementFields['revoke_action'],
    fallback_role_id: e.fallback_role_id,
    grace_days: e.grace_days,
    enforce_roles: e.enforce_roles === 1,
    partial_refund_policy: e.partial_refund_policy as EntitlementFields['partial_refund_policy'],
    dispute_policy: e.dispute_policy as EntitlementFields['dispute_policy'],
    restore_on_dispute_won: e.restore_on_dispute_won === 1,
    archived: e.archived_at !== null,
    archived_at: iso(e.archived_at),
    created_at: iso(e.created_at) ?? '',
    updated_at: iso(e.updated_at) ?? '',
  };
}
export type EntitlementView = ReturnType<typeof entitlementView>;

const priceKey = (p: {
  kind: string;
  amount: number;
  currency: string;
  interval?: string | null | undefined;
}) => `${p.kind}:${p.amount}:${p.currency}:${p.interval ?? ''}`;
const priceKeyOf = (p: PriceInput) =>
  `${priceKey(p)}:${p.kind === 'recurring' ? (p.interval_count ?? 1) : ''}`;
const rowKeyOf = (p: PriceRow) => `${priceKey(p)}:${p.interval_count ?? ''}`;

async function activePrices(db: Executor, entitlementIds: string[]): Promise<Map<string, PriceRow[]>> {
  const out = new Map<string, PriceRow[]>();
  if (entitlementIds.length === 0) return out;
  const rows = await activePricesOf(db, entitlementIds);
  for (const p of rows) out.set(p.entitlement_id, [...(out.get(p.entitlement_id) ?? []), p]);
  return out;
}

/**
 * Makes the active prices equal `wanted`: an unchanged price keeps its id (and its Stripe price),
 * a dropped one is deactivated rather than deleted because past grants still point at it.
 */
async function syncPrices(db: Executor, entitlementId: string, wanted: PriceInput[], now: number) {
  const current = (await activePrices(db, [entitlementId])).get(entitlementId) ?? [];
  const wantedKeys = new Set(wanted.map(priceKeyOf));
  const currentKeys = new Set(current.map(rowKeyOf));
  const dropped = current.filter((p) => !wantedKeys.has(rowKeyOf(p))).map((p) => p.id);
  if (dropped.length > 0) await deactivatePrices(db, dropped);
  for (const p of wanted) {
    if (currentKeys.has(priceKeyOf(p))) continue;
    const recurring = p.kind === 'recurring';
    await insertPrice(db, {
      id: newId('price', now),
      entitlement_id: entitlementId,
      kind: p.kind,
      amount: p.amount,
      currency: p.currency,
      interval: recurring ? (p.interval ?? null) : null,
      interval_count: recurring ? (p.interval_count ?? 1) : null,
      stripe_product_id: null,
      stripe_price_id: null,
      active: 1,
      created_at: now,
    });
  }
}

function columnsOf(f: EntitlementFields) {
  return {
    name: f.name,
    description: f.description,
    role_ids: JSON.stringify(f.role_ids),
    access_kind: f.access.kind,
    access_days: f.access.kind === 'days' ? (f.access.days ?? null) : null,
    trial_days: f.trial_days,
    sale_ends_at: f.sale_ends_at,
    revoke_action: f.revoke_action,
    fallback_role_id: f.fallback_role_id,
    grace_days: f.grace_days,
    enforce_roles: f.enforce_roles ? 1 : 0,
    partial_refund_policy: f.partial_refund_policy,
    dispute_policy: f.dispute_policy,
    restore_on_dispute_won: f.restore_on_dispute_won ? 1 : 0,
  };
}

function fieldsOf(e: EntitlementRow, prices: PriceRow[]): EntitlementFields {
  const v = entitlementView(e, prices);
  return {
    name: v.name,
    description: v.description,
    role_ids: v.role_ids,
    prices: prices.map((p) => ({
      kind: p.kind as PriceInput['kind'],
      amount: p.amount,
      currency: p.currency,
      interval: (p.interval ?? undefined) as PriceInput['interval'],
      interval_count: p.interval_count ?? undefined,
    })),
    access: v.access,
    trial_days: v.trial_days,
    sale_ends_at: e.sale_ends_at,
    revoke_action: v.revoke_action,
    fallback_role_id: v.fallback_role_id,
    grace_days: v.grace_days,
    enforce_roles: v.enforce_roles,
    partial_refund_policy: v.partial_refund_policy,
    dispute_policy: v.dispute_policy,
    restore_on_dispute_won: v.restore_on_dispute_won,
  };
}

export async function createEntitlement(
  ctx: AppContext,
  input: CreateEntitlementInput,
): Promise<EntitlementView> {
  checkConsistency(input);
  return inTransaction(ctx, async (tx) => {
    const server = await loadServer(tx.db, input.server_id);
    if (server.status === 'removed')
      throw new AppError(
        'unprocessable',
        `the bot was removed from server ${server.id}; reconnect it before selling its roles`,
      );
    await checkRolesGrantable(tx.db, server, [
      ...input.role_ids,
      ...(input.fallback_role_id ? [input.fallback_role_id] : []),
    ]);
    const now = ctx.clock.now();
    const id = newId('entitlement', now);
    await insertEntitlement(tx.db, {
      id,
      server_id: server.id,
      ...columnsOf(input),
      archived_at: null,
      created_at: now,
      updated_at: now,
    });
    await syncPrices(tx.db, id, input.prices, now);
    await enqueueRolesChannelPublish(tx, server.id);
    return loadView(tx.db, id);
  });
}

async function loadRow(db: Executor, id: string): Promise<EntitlementRow> {
  const e = await entitlementById(db, id);
  if (!e) throw notFound('entitlement', id);
  return e;
}

async function loadView(db: Executor, id: string): Promise<EntitlementView> {
  const e = await loadRow(db, id);
  return entitlementView(e, (await activePrices(db, [id])).get(id) ?? []);
}

export function getEntitlement(ctx: AppContext, id: string): Promise<EntitlementView> {
  return loadView(ctx.db.kysely, id);
}

export async function listEntitlements(
  ctx: AppContext,
  filter: {
    serverId?: string | undefined;
    archived?: boolean | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<{ rows: EntitlementRow[]; view: (e: EntitlementRow) => EntitlementView }> {
  const rows = await entitlementsPage(ctx.db.kysely, filter);
  const prices = await activePrices(
    ctx.db.kysely,
    rows.map((r) => r.id),
  );
  return { rows, view: (e) => entitlementView(e, prices.get(e.id) ?? []) };
}

/**
 * Queues a member sync for everyone holding a live grant of the entitlement, so a role added reaches
 * existing buyers and a role removed is taken away (member sync recomputes from the database).
 */
async function resyncHolders(ctx: AppContext, tx: Tx, entitlementId: string, cause: string): Promise<number> {
  const now = ctx.clock.now();
  const holders = await liveHoldersOf(tx.db, entitlementId, now);
  for (const h of holders) if (h.userId) await enqueueMemberSync(tx, h.serverId, h.userId, cause);
  return holders.length;
}

/** Applies a partial update; a change of roles re-syncs every holder in the same transaction. */
export async function updateEntitlement(
  ctx: AppContext,
  id: string,
  patch: UpdateEntitlementInput,
  cause: string,
): Promise<EntitlementView> {
  return inTransaction(ctx, async (tx) => {
    const row = await loadRow(tx.db, id);
    const prices = (await activePrices(tx.db, [id])).get(id) ?? [];
    const before = fieldsOf(row, prices);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const after: EntitlementFields = { ...before, ...defined };
    checkConsistency(after);
    // Only roles this update introduces are checked: a role that broke since it was saved must not
    // block fixing the description, and removing a broken role must stay possible.
    const added = after.role_ids.filter((r) => !before.role_ids.includes(r));
    if (after.fallback_role_id && after.fallback_role_id !== before.fallback_role_id)
      added.push(after.fallback_role_id);
    if (added.length > 0) await checkRolesGrantable(tx.db, await loadServer(tx.db, row.server_id), added);
    const now = ctx.clock.now();
    await updateEntitlementRow(tx.db, id, { ...columnsOf(after), updated_at: now });
    if (patch.prices) await syncPrices(tx.db, id, after.prices, now);
    await enqueueRolesChannelPublish(tx, row.server_id);
    const rolesChanged =
      after.role_ids.length !== before.role_ids.length ||
      after.role_ids.some((r) => !before.role_ids.includes(r));
    if (rolesChanged) {
      const queued = await resyncHolders(ctx, tx, id, cause);
      ctx.log.info({ entitlementId: id, queued }, 'entitlement roles changed; member syncs queued');
    }
    return loadView(tx.db, id);
  });
}

/**
 * Puts an archived entitlement on sale again (the roles channel shows it again). Restoring one on
 * sale changes nothing. A plan move that pointed to it works again as well.
 */
export async function restoreEntitlement(ctx: AppContext, id: string): Promise<EntitlementView> {
  return inTransaction(ctx, async (tx) => {
    const row = await loadRow(tx.db, id);
    if (row.archived_at !== null) {
      await updateEntitlementRow(tx.db, id, { archived_at: null, updated_at: ctx.clock.now() });
      await enqueueRolesChannelPublish(tx, row.server_id);
    }
    return loadView(tx.db, id);
  });
}

/** Stops selling an entitlement; existing grants keep running. Archiving twice changes nothing. */
export async function archiveEntitlement(ctx: AppContext, id: string): Promise<EntitlementView> {
  return inTransaction(ctx, async (tx) => {
    const row = await loadRow(tx.db, id);
    if (row.archived_at === null) {
      const now = ctx.clock.now();
      await updateEntitlementRow(tx.db, id, { archived_at: now, updated_at: now });
      await enqueueRolesChannelPublish(tx, row.server_id);
    }
    return loadView(tx.db, id);
  });
}
