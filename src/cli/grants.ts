import type { AppContext } from '../app/shared/context.js';

export async function listGrantsForCli(
  ctx: AppContext,
  filter: {
    status?: string | undefined;
    entitlementId?: string | undefined;
    customerId?: string | undefined;
    serverId?: string | undefined;
    limit: number;
  },
): Promise<string[]> {
  let q = ctx.db.kysely
    .selectFrom('grants')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(1, filter.limit || 50), 1000));
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.entitlementId) q = q.where('entitlement_id', '=', filter.entitlementId);
  if (filter.customerId) q = q.where('customer_id', '=', filter.customerId);
  if (filter.serverId) q = q.where('server_id', '=', filter.serverId);
  const rows = await q.execute();
  if (rows.length === 0) return ['no grants'];
  return rows.map(
    (g) =>
      `${g.id}  ${g.status.padEnd(9)} ${g.active ? 'active  ' : 'inactive'}  ${g.entitlement_id}  ${g.customer_id}` +
      (g.ends_at ? `  ends ${new Date(g.ends_at).toISOString()}` : '') +
      (g.last_error_code ? `  error ${g.last_error_owner}:${g.last_error_code}` : ''),
  );
}
