import { sql } from 'kysely';
import type { Executor } from '../../../adapters/store/db.js';
import { DAY_MS } from '../../../core/clock.js';

/** Queries behind the overview. */

/** Grants that confer access now, per entitlement (archived entitlements too: holders remain). */
export async function activeByEntitlement(db: Executor) {
  const rows = await db
    .selectFrom('entitlements as e')
    .innerJoin('servers as s', 's.id', 'e.server_id')
    .leftJoin('grants as g', (j) => j.onRef('g.entitlement_id', '=', 'e.id').on('g.active', '=', 1))
    .select((eb) => [
      'e.id',
      'e.name',
      'e.archived_at',
      's.id as server_id',
      's.name as server_name',
      eb.fn.count<number>('g.id').as('active'),
    ])
    .groupBy(['e.id', 'e.name', 'e.archived_at', 's.id', 's.name'])
    .orderBy('e.id')
    .execute();
  return rows.map((r) => ({ ...r, active: Number(r.active) }));
}

/** The recurring price of every grant that confers access and will renew. */
export async function renewingPrices(db: Executor) {
  return db
    .selectFrom('grants as g')
    .innerJoin('prices as p', 'p.id', 'g.price_id')
    .select(['p.amount', 'p.currency', 'p.interval', 'p.interval_count'])
    .where('g.active', '=', 1)
    .where('p.kind', '=', 'recurring')
    .where('g.stripe_cancel_at', 'is', null)
    .where((eb) => eb.or([eb('g.stripe_status', 'is', null), eb('g.stripe_status', '!=', 'trialing')]))
    .execute();
}

/** Per UTC day since `from`: grants that first conferred access, and grants that had access and ended. */
export async function dailyNewAndLost(db: Executor, from: number) {
  const dayOf = (col: 'announced_at' | 'revoked_at') => sql<number>`(${sql.ref(col)} / ${sql.lit(DAY_MS)})`;
  const gained = await db
    .selectFrom('grants')
    .select((eb) => [dayOf('announced_at').as('day'), eb.fn.countAll<number>().as('n')])
    .where('announced_at', '>=', from)
    .groupBy(dayOf('announced_at'))
    .execute();
  const lost = await db
    .selectFrom('grants')
    .select((eb) => [dayOf('revoked_at').as('day'), eb.fn.countAll<number>().as('n')])
    .where('revoked_at', '>=', from)
    .where('announced_at', 'is not', null)
    .groupBy(dayOf('revoked_at'))
    .execute();
  const norm = (rows: { day: number; n: number }[]) =>
    new Map(rows.map((r) => [Math.floor(Number(r.day)), Number(r.n)]));
  return { gained: norm(gained), lost: norm(lost) };
}
