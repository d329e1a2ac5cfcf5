import type { Executor } from '../../../adapters/store/db.js';

/** What the buyer side reads of customers and offers by id. */

/** The customer's email address; null when the customer is gone or has none. */
export async function customerEmail(db: Executor, customerId: string): Promise<string | null> {
  const row = await db
    .selectFrom('customers')
    .select('email')
    .where('id', '=', customerId)
    .executeTakeFirst();
  return row?.email ?? null;
}

/** The Discord account the customer's roles go to; undefined when there is no such customer. */
export async function customerDiscordUser(
  db: Executor,
  customerId: string,
): Promise<string | null | undefined> {
  const row = await db
    .selectFrom('customers')
    .select('discord_user_id')
    .where('id', '=', customerId)
    .executeTakeFirst();
  return row === undefined ? undefined : row.discord_user_id;
}

/** An entitlement's name; null when there is none with this id. */
export async function entitlementName(db: Executor, entitlementId: string): Promise<string | null> {
  const row = await db
    .selectFrom('entitlements')
    .select('name')
    .where('id', '=', entitlementId)
    .executeTakeFirst();
  return row?.name ?? null;
}

/** Every grant of the customer, whatever its state. */
export async function grantIdsOfCustomer(db: Executor, customerId: string): Promise<string[]> {
  const rows = await db.selectFrom('grants').select('id').where('customer_id', '=', customerId).execute();
  return rows.map((r) => r.id);
}
