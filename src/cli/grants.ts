import type { AppContext } from '../app/shared/context.js';
import { grantsPage } from '../app/grants/store.js';

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
  const limit = Math.min(Math.max(1, filter.limit || 50), 1000);
  const rows = (await grantsPage(ctx.db.kysely, { ...filter, limit })).slice(0, limit);
  if (rows.length === 0) return ['no grants'];
  return rows.map(
    (g) =>
      `${g.id}  ${g.status.padEnd(9)} ${g.active ? 'active  ' : 'inactive'}  ${g.entitlement_id}  ${g.customer_id}` +
      (g.ends_at ? `  ends ${new Date(g.ends_at).toISOString()}` : '') +
      (g.last_error_code ? `  error ${g.last_error_owner}:${g.last_error_code}` : ''),
  );
}
