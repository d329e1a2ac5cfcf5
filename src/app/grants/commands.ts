import { queueInvitation } from './grants.js';
import { AppError, notFound } from '../../core/errors.js';
import { DAY_MS } from '../../core/clock.js';
import { canTransition, IllegalTransitionError, type GrantStatus } from '../../core/grant-state.js';
import { inTransaction, type AppContext, type Tx } from '../shared/context.js';
import { findOrCreateCustomer, loadCustomer, type CustomerRow } from './customers.js';
import { applyGrantEvent, createGrant, enqueueMemberSync, grantView, type GrantRow } from './grants.js';
import { planRevokeBilling, type RevokeBilling } from '../../core/revoke-billing.js';
import { queueRevokeBilling, writeBillingLog } from '../billing/revoke.js';
import { entitlementForManualGrant, grantById, grantsPage, syncLogOfGrant } from './store.js';

/**
 * What a person can do to grants through the API: manual and comp grants, revoke, extend, retry
 * delivery and resend the invitation. Each command owns one transaction and changes grants only
 * through createGrant / applyGrantEvent, so the sync, expiry and webhook jobs come with the change.
 */

export { queueInvitation } from './grants.js';

/** How many sync log entries `GET /grants/:id` shows, newest first. */
export const GRANT_SYNC_LOG_SHOWN = 100;

/** A grant as the API shows it to the merchant: the webhook shape plus the claim code. */
export function grantDetailView(g: GrantRow) {
  return { ...grantView(g), claim_code: g.claim_code };
}

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `body.${path}: ${message}`, [{ location: 'body', path, message }]);
}

async function loadGrant(tx: Tx, id: string): Promise<GrantRow> {
  const g = await grantById(tx.db, id);
  if (!g) throw notFound('grant', id);
  return g;
}

export interface ManualGrantInput {
  entitlementId: string;
  customerId?: string | undefined;
  email?: string | undefined;
  discordUserId?: string | undefined;
  /** Explicit end (epoch ms, in the future) … */
  endsAt?: number | undefined;
  /** … or a number of days from now. Neither: the entitlement's own duration. */
  days?: number | undefined;
  note?: string | undefined;
  source: 'manual' | 'comp';
}

/**
 * Gives a customer (found or created by email / Discord id) an entitlement without a payment.
 * A customer without a linked Discord account is sent the invitation to connect one.
 */
export async function createManualGrant(
  ctx: AppContext,
  input: ManualGrantInput,
  cause: string,
): Promise<GrantRow> {
  if (input.customerId && (input.email || input.discordUserId))
    throw invalid('customer_id', 'give customer_id, or email and/or discord_user_id, not both');
  if (!input.customerId && !input.email && !input.discordUserId)
    throw invalid('customer_id', 'say who the grant is for: customer_id, email or discord_user_id');
  if (input.endsAt !== undefined && input.days !== undefined)
    throw invalid('ends_at', 'give ends_at or days, not both');
  const now = ctx.clock.now();
  if (input.endsAt !== undefined && input.endsAt <= now) throw invalid('ends_at', 'must be in the future');

  return inTransaction(ctx, async (tx) => {
    const entitlement = await entitlementForManualGrant(tx.db, input.entitlementId);
    if (!entitlement) throw notFound('entitlement', input.entitlementId);
    if (entitlement.archived_at !== null)
      throw new AppError(
        'entitlement_not_for_sale',
        `entitlement ${entitlement.id} is archived; grants can no longer be created for it`,
      );
    if (entitlement.serverStatus === 'removed')
      throw new AppError(
        'unprocessable',
        `the bot was removed from this entitlement's server; reconnect it first`,
      );

    const customer: CustomerRow = input.customerId
      ? await loadCustomer(tx.db, input.customerId)
      : await findOrCreateCustomer(tx.db, now, { email: input.email, discordUserId: input.discordUserId });

    const endsAt = input.days !== undefined ? now + input.days * DAY_MS : input.endsAt;
    const grant = await createGrant(ctx, tx, {
      entitlementId: entitlement.id,
      customerId: customer.id,
      source: input.source,
      active: true,
      startsAt: now,
      ...(endsAt === undefined ? {} : { endsAt }),
      note: input.note ?? null,
      cause,
    });
    if (!customer.discord_user_id && customer.email) await queueInvitation(tx, grant.id, cause);
    return grant;
  });
}

export interface RevokeInput {
  reason?: string | undefined;
  /** What to do with the Stripe billing; default `cancel_now` (see planRevokeBilling). */
  billing?: RevokeBilling | undefined;
}

/**
 * Ends access for good, and decides the grant's Stripe billing in the same transaction: the choice
 * is written on the grant (so the `entitlement_grant.revoked` payload carries it) and the Stripe call
 * is queued as a job (outbox). A revoked grant cannot be revoked again (409); a billing choice that
 * does not fit the grant is refused (422) and changes nothing.
 */
export async function revokeGrant(
  ctx: AppContext,
  id: string,
  input: RevokeInput,
  cause: string,
): Promise<GrantRow> {
  return inTransaction(ctx, async (tx) => {
    const g = await loadGrant(tx, id);
    const status = g.status as GrantStatus;
    if (!canTransition(status, g.active === 1, 'revoke'))
      throw new IllegalTransitionError(status, 'revoke', g.active === 1);
    const plan = planRevokeBilling(g, input.billing);
    if (!plan.ok) throw new AppError('unprocessable', plan.message);
    const revoked = await applyGrantEvent(ctx, tx, id, 'revoke', {
      cause,
      reason: input.reason ?? 'revoked through the API',
      patch: { revoke_billing: plan.choice, revoke_billing_status: plan.status },
    });
    if (plan.status === 'pending') await queueRevokeBilling(tx, id, cause);
    if (plan.choice === 'keep_billing')
      await writeBillingLog(tx, revoked, {
        outcome: 'skipped',
        message: 'billing kept: Stripe was not asked to change anything; the subscription keeps charging',
        cause,
        at: ctx.clock.now(),
      });
    return revoked;
  });
}

/**
 * Moves the end of a grant later: to `endsAt`, or `days` past its current end (or past now, when
 * that end already passed). applyGrantEvent queues the expiry at the new end; the job already
 * queued for the old end finds the grant still live and does nothing. Extend never shortens access.
 */
export async function extendGrant(
  ctx: AppContext,
  id: string,
  by: { endsAt?: number | undefined; days?: number | undefined },
  cause: string,
): Promise<GrantRow> {
  if ((by.endsAt === undefined) === (by.days === undefined))
    throw invalid('ends_at', 'give exactly one of ends_at or days');
  return inTransaction(ctx, async (tx) => {
    const g = await loadGrant(tx, id);
    const status = g.status as GrantStatus;
    if (!canTransition(status, g.active === 1, 'extend'))
      throw new IllegalTransitionError(status, 'extend', g.active === 1);
    if (g.ends_at === null)
      throw new AppError(
        'unprocessable',
        `grant ${id} has no end date: its access already lasts indefinitely`,
      );
    const now = ctx.clock.now();
    const endsAt = by.days !== undefined ? Math.max(g.ends_at, now) + by.days * DAY_MS : (by.endsAt ?? 0);
    if (endsAt <= now) throw invalid('ends_at', 'must be in the future');
    if (endsAt <= g.ends_at)
      throw new AppError(
        'unprocessable',
        `ends_at must be after the grant's current end (${new Date(g.ends_at).toISOString()}); to end access now, revoke the grant`,
      );
    return applyGrantEvent(ctx, tx, id, 'extend', { cause, endsAt });
  });
}

/**
 * Re-queues the member sync of a failed or pending grant now, instead of waiting for its backoff
 * or the next reconcile. A queued sync for the member is moved earlier rather than duplicated.
 */
export async function retryGrant(ctx: AppContext, id: string, cause: string): Promise<GrantRow> {
  return inTransaction(ctx, async (tx) => {
    const g = await loadGrant(tx, id);
    if (g.status !== 'failed' && g.status !== 'pending')
      throw new AppError(
        'invalid_transition',
        `only failed or pending grants can be retried; grant ${id} is ${g.status}`,
      );
    if (g.active !== 1)
      throw new AppError(
        'invalid_transition',
        `grant ${id} does not confer access (awaiting payment or ended); there is nothing to deliver`,
      );
    const customer = await loadCustomer(tx.db, g.customer_id);
    if (!customer.discord_user_id)
      throw new AppError(
        'unprocessable',
        `the customer has not linked a Discord account yet; resend the invitation (POST /api/grants/${id}/resend-invitation)`,
      );
    await enqueueMemberSync(tx, g.server_id, customer.discord_user_id, cause, ctx.clock.now());
    return g;
  });
}

/** Queues the invitation email (Connect Discord link and claim code) again. */
export async function resendInvitation(ctx: AppContext, id: string, cause: string): Promise<GrantRow> {
  return inTransaction(ctx, async (tx) => {
    const g = await loadGrant(tx, id);
    if (g.status === 'revoked')
      throw new AppError('invalid_transition', `grant ${id} is revoked; there is nothing to invite to`);
    const customer = await loadCustomer(tx.db, g.customer_id);
    if (!customer.email)
      throw new AppError(
        'unprocessable',
        `customer ${customer.id} has no email address, so no invitation can be sent`,
      );
    await queueInvitation(tx, id, cause);
    return g;
  });
}

export interface GrantFilter {
  status?: GrantStatus | undefined;
  entitlementId?: string | undefined;
  customerId?: string | undefined;
  serverId?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Newest first; `limit + 1` rows so the caller can tell whether another page exists. */
export async function listGrants(ctx: AppContext, f: GrantFilter): Promise<GrantRow[]> {
  return grantsPage(ctx.db.kysely, f);
}

/** A grant with what member sync did (or failed to do) for it, newest first. */
export async function getGrantWithSyncLog(ctx: AppContext, id: string) {
  const g = await grantById(ctx.db.kysely, id);
  if (!g) throw notFound('grant', id);
  const log = await syncLogOfGrant(ctx.db.kysely, id, GRANT_SYNC_LOG_SHOWN);
  return {
    ...grantDetailView(g),
    sync_log: log.map((l) => ({
      action: l.action,
      role_id: l.role_id,
      outcome: l.outcome,
      error_code: l.error_code,
      error_owner: l.error_owner,
      message: l.message,
      cause: l.cause,
      discord_user_id: l.discord_user_id === '' ? null : l.discord_user_id,
      created_at: new Date(l.created_at).toISOString(),
    })),
  };
}
