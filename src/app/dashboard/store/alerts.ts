import type { Executor } from '../../../adapters/store/db.js';

/** Queries behind the alerts: what needs the merchant, read straight from the state it lives in. */

export async function pausedServers(db: Executor) {
  return db
    .selectFrom('servers')
    .select(['id', 'name', 'pause_reason', 'paused_at', 'updated_at'])
    .where('status', '=', 'paused')
    .orderBy('id')
    .execute();
}

/** Servers the bot was removed from while something is still sold or held there. */
export async function removedServersInUse(db: Executor) {
  return db
    .selectFrom('servers as s')
    .select(['s.id', 's.name', 's.updated_at'])
    .where('s.status', '=', 'removed')
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('grants as g')
          .select('g.id')
          .whereRef('g.server_id', '=', 's.id')
          .where('g.active', '=', 1),
      ),
    )
    .orderBy('s.id')
    .execute();
}

/** Failed grants the merchant must fix, grouped by server and error. */
export async function merchantFailures(db: Executor) {
  const rows = await db
    .selectFrom('grants as g')
    .innerJoin('servers as s', 's.id', 'g.server_id')
    .select((eb) => [
      'g.server_id',
      's.name as server_name',
      'g.last_error_code',
      eb.fn.max('g.last_error_message').as('message'),
      eb.fn.countAll<number>().as('n'),
      eb.fn.min('g.updated_at').as('since'),
    ])
    .where('g.status', '=', 'failed')
    .where('g.active', '=', 1)
    .where('g.last_error_owner', '=', 'merchant')
    .groupBy(['g.server_id', 's.name', 'g.last_error_code'])
    .orderBy('g.server_id')
    .execute();
  return rows.map((r) => ({ ...r, n: Number(r.n), since: r.since === null ? null : Number(r.since) }));
}

export async function deadJobsByKind(db: Executor) {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['kind', eb.fn.countAll<number>().as('n'), eb.fn.min('updated_at').as('since')])
    .where('status', '=', 'dead')
    .groupBy('kind')
    .orderBy('kind')
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    n: Number(r.n),
    since: r.since === null ? null : Number(r.since),
  }));
}

export async function disabledEndpoints(db: Executor) {
  return db
    .selectFrom('webhook_endpoints')
    .select(['id', 'url', 'disabled_reason', 'updated_at'])
    .where('enabled', '=', 0)
    .where('disabled_reason', 'is not', null)
    .orderBy('id')
    .execute();
}
