import type { AppContext } from '../app/shared/context.js';
import { listGrants } from '../app/grants/commands.js';
import type { GrantStatus } from '../core/grant-state.js';

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
  // listGrants reads one row more (to tell whether another page exists); the CLI shows `limit`.
  const rows = (
    await listGrants(ctx, { ...filter, status: filter.status as GrantStatus | undefined, limit })
  ).slice(0, limit);
  if (rows.length === 0) return ['no grants'];
  return rows.map(
    (g) =>
      `${g.id}  ${g.status.padEnd(9)} ${g.active ? 'active  ' : 'inactive'}  ${g.entitlement_id}  ${g.customer_id}` +
      (g.ends_at ? `  ends ${new Date(g.ends_at).toISOString()}` : '') +
      (g.last_error_code ? `  error ${g.last_error_owner}:${g.last_error_code}` : ''),
  );
}
