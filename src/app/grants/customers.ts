import type { Executor } from '../../adapters/store/db.js';
import { AppError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { AppContext } from '../shared/context.js';
import { grantView } from './grants.js';
import {
  customerByDiscordUser,
  customerByEmail,
  customerById,
  customersPage,
  insertCustomerRow,
  newestGrantsOfCustomer,
  setCustomerDiscordUser,
  type CustomerRow,
} from './store.js';

export type { CustomerRow };

const iso = (ms: number) => new Date(ms).toISOString();

/** The public shape of a customer. */
export function customerView(c: CustomerRow) {
  return {
    id: c.id,
    object: 'customer' as const,
    email: c.email,
    name: c.name,
    discord_user_id: c.discord_user_id,
    stripe_customer_id: c.stripe_customer_id,
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
  };
}

/** How many grants `GET /customers/:id` embeds; more are listed through `/grants?customer_id=`. */
export const CUSTOMER_GRANTS_SHOWN = 100;

export interface NewCustomer {
  email?: string | null | undefined;
  name?: string | null | undefined;
  discordUserId?: string | null | undefined;
}

/** Emails compare case-insensitively everywhere; we store them lowercased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

async function findByEmail(db: Executor, email: string) {
  return customerByEmail(db, normalizeEmail(email));
}

/** Inserts a customer inside the caller's transaction. */
export async function insertCustomer(db: Executor, now: number, input: NewCustomer): Promise<CustomerRow> {
  const row: CustomerRow = {
    id: newId('customer', now),
    email: input.email ? normalizeEmail(input.email) : null,
    name: input.name ?? null,
    stripe_customer_id: null,
    discord_user_id: input.discordUserId ?? null,
    created_at: now,
    updated_at: now,
  };
  await insertCustomerRow(db, row);
  return row;
}

/**
 * Creates a customer. One customer per email: a second create with the same address is a 409
 * naming the existing customer, so integrations cannot split one buyer's grants in two.
 */
export async function createCustomer(
  ctx: AppContext,
  input: { email: string; name?: string | undefined },
): Promise<CustomerRow> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const existing = await findByEmail(trx, input.email);
    if (existing)
      throw new AppError('conflict', `a customer with this email already exists: ${existing.id}`, {
        customer_id: existing.id,
      });
    return insertCustomer(trx, ctx.clock.now(), input);
  });
}

/**
 * The customer a manual grant is for: by Discord account first (what roles attach to), then by email;
 * created when neither matches. A customer found by email gets the Discord id when it has none; one
 * linked to a different account is a 409, because switching accounts is the link flow's job (it moves
 * the roles).
 */
export async function findOrCreateCustomer(
  db: Executor,
  now: number,
  who: { email?: string | undefined; discordUserId?: string | undefined },
): Promise<CustomerRow> {
  if (who.discordUserId) {
    const byDiscord = await customerByDiscordUser(db, who.discordUserId);
    if (byDiscord) return byDiscord;
  }
  if (who.email) {
    const byEmail = await findByEmail(db, who.email);
    if (byEmail) {
      if (who.discordUserId && byEmail.discord_user_id && byEmail.discord_user_id !== who.discordUserId)
        throw new AppError(
          'conflict',
          `customer ${byEmail.id} with this email is linked to another Discord account; name the customer by customer_id or by one of the two`,
          { customer_id: byEmail.id },
        );
      if (who.discordUserId && !byEmail.discord_user_id) {
        await setCustomerDiscordUser(db, byEmail.id, who.discordUserId, now);
        return { ...byEmail, discord_user_id: who.discordUserId, updated_at: now };
      }
      return byEmail;
    }
  }
  return insertCustomer(db, now, { email: who.email, discordUserId: who.discordUserId });
}

export async function loadCustomer(db: Executor, id: string): Promise<CustomerRow> {
  const c = await customerById(db, id);
  if (!c) throw notFound('customer', id);
  return c;
}

/** A customer with their newest grants. */
export async function getCustomerWithGrants(ctx: AppContext, id: string) {
  const customer = await loadCustomer(ctx.db.kysely, id);
  const grants = await newestGrantsOfCustomer(ctx.db.kysely, id, CUSTOMER_GRANTS_SHOWN);
  return { ...customerView(customer), grants: grants.map(grantView) };
}

export async function listCustomers(
  ctx: AppContext,
  filter: {
    email?: string | undefined;
    discordUserId?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<CustomerRow[]> {
  return customersPage(ctx.db.kysely, {
    ...filter,
    email: filter.email ? normalizeEmail(filter.email) : undefined,
  });
}
