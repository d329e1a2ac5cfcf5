import { sql, type ExpressionBuilder, type SqlBool, type Expression } from 'kysely';
import type { Database } from '../../../adapters/store/schema.js';
import type { Executor } from '../../../adapters/store/db.js';

/**
 * Queries behind the subscriber list: one row per grant (a customer's hold on one entitlement in one
 * server) with the customer, their Discord account and whether an invitation was sent.
 */

export const subscriberStatuses = [
  'subscribed',
  'past_due',
  'invitation_sent',
  'not_invited',
  'delivering',
  'failed',
  'suspended',
  'revoked',
  'checkout_open',
] as const;
export type SubscriberStatus = (typeof subscriberStatuses)[number];

export interface SubscriberFilter {
  entitlementId?: string | undefined;
  serverId?: string | undefined;
  customerId?: string | undefined;
  /** One subscriber (for the detail view); every status included. */
  grantId?: string | undefined;
  status?: SubscriberStatus | undefined;
  /** Email, name or Discord name (contains, any case), or a Discord user id (exact). */
  search?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

type Eb = ExpressionBuilder<
  Database & { g: Database['grants']; c: Database['customers']; dl: Database['discord_links'] },
  'g' | 'c' | 'dl'
>;

/** A connect link (emailed invitation) exists for this grant or for the whole customer. */
function invited(eb: Eb) {
  return eb.exists(
    eb
      .selectFrom('buyer_tokens as bt')
      .select('bt.id')
      .where('bt.purpose', '=', 'connect')
      .whereRef('bt.customer_id', '=', 'g.customer_id')
      .where((w) => w.or([w('bt.grant_id', 'is', null), w('bt.grant_id', '=', w.ref('g.id'))])),
  );
}

/** The SQL twin of `subscriberStatus` (dashboard/subscribers.ts): keep the two in the same order. */
export function statusCondition(eb: Eb, status: SubscriberStatus): Expression<SqlBool> {
  const s = (v: string) => eb('g.status', '=', v);
  const live = eb.and([eb('g.active', '=', 1), eb('g.status', 'in', ['pending', 'delivered'])]);
  const pastDue = eb.and([live, eb('g.grace_ends_at', 'is not', null)]);
  const waiting = eb.and([live, eb('g.status', '=', 'pending'), eb('g.grace_ends_at', 'is', null)]);
  // A grant revoked before it ever conferred access is a checkout that ended unpaid (replaced, expired).
  const neverAnnounced = eb('g.announced_at', 'is', null);
  switch (status) {
    case 'revoked':
      return eb.and([s('revoked'), eb.not(neverAnnounced)]);
    case 'suspended':
    case 'failed':
      return s(status);
    case 'checkout_open':
      return eb.or([eb.and([s('pending'), eb('g.active', '=', 0)]), eb.and([s('revoked'), neverAnnounced])]);
    case 'past_due':
      return pastDue;
    case 'subscribed':
      return eb.and([live, s('delivered'), eb('g.grace_ends_at', 'is', null)]);
    case 'delivering':
      return eb.and([waiting, eb('c.discord_user_id', 'is not', null)]);
    case 'invitation_sent':
      return eb.and([waiting, eb('c.discord_user_id', 'is', null), invited(eb)]);
    case 'not_invited':
      return eb.and([waiting, eb('c.discord_user_id', 'is', null), eb.not(invited(eb))]);
  }
}

const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function searchCondition(eb: Eb, search: string): Expression<SqlBool> {
  if (/^\d{17,20}$/.test(search)) return eb('c.discord_user_id', '=', search);
  const pattern = likePattern(search);
  const like = (col: 'c.email' | 'c.name' | 'dl.username') =>
    sql<SqlBool>`lower(${eb.ref(col)}) like ${pattern} escape '\\'`;
  return eb.or([like('c.email'), like('c.name'), like('dl.username')]);
}

function baseQuery(db: Executor) {
  return db
    .selectFrom('grants as g')
    .innerJoin('customers as c', 'c.id', 'g.customer_id')
    .innerJoin('entitlements as e', 'e.id', 'g.entitlement_id')
    .innerJoin('servers as s', 's.id', 'g.server_id')
    .leftJoin('discord_links as dl', 'dl.customer_id', 'g.customer_id');
}

export async function findSubscribers(db: Executor, f: SubscriberFilter) {
  let q = baseQuery(db)
    .selectAll('g')
    .select((eb) => [
      'c.email',
      'c.name as customer_name',
      'c.discord_user_id',
      'c.stripe_customer_id',
      'dl.username as discord_username',
      'e.name as entitlement_name',
      's.name as server_name',
      invited(eb as unknown as Eb).as('invited'),
    ]);
  if (f.entitlementId) q = q.where('g.entitlement_id', '=', f.entitlementId);
  if (f.serverId) q = q.where('g.server_id', '=', f.serverId);
  if (f.customerId) q = q.where('g.customer_id', '=', f.customerId);
  if (f.grantId) q = q.where('g.id', '=', f.grantId);
  const { status, search } = f;
  if (status) q = q.where((eb) => statusCondition(eb as unknown as Eb, status));
  else if (!f.grantId) q = q.where((eb) => eb.not(statusCondition(eb as unknown as Eb, 'checkout_open')));
  if (search) q = q.where((eb) => searchCondition(eb as unknown as Eb, search));
  if (f.afterId) q = q.where('g.id', '<', f.afterId);
  return q
    .orderBy('g.id', 'desc')
    .limit(f.limit + 1)
    .execute();
}

export type SubscriberRow = Awaited<ReturnType<typeof findSubscribers>>[number];

/** Payment intents paid for a grant (newest first). */
export async function grantPayments(db: Executor, grantId: string) {
  return db
    .selectFrom('grant_payment_intents')
    .select(['payment_intent_id', 'created_at'])
    .where('grant_id', '=', grantId)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Role names of a server, for words in the timeline. */
export async function roleNames(db: Executor, serverId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('server_roles')
    .select(['role_id', 'name'])
    .where('server_id', '=', serverId)
    .execute();
  return new Map(rows.map((r) => [r.role_id, r.name]));
}
