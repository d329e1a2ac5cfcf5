import { AppError, notFound } from '../../core/errors.js';
import { transition, type GrantEvent, type GrantStatus } from '../../core/grant-state.js';
import type { RevokeBilling, RevokeBillingStatus } from '../../core/revoke-billing.js';
import type { FailureOwner } from '../../core/failure.js';
import { newClaimCode, newId } from '../../core/ids.js';
import type { AppContext, Tx } from '../shared/context.js';
import { emitWebhookEvent } from '../webhooks/events.js';
import { memberSyncJob } from '../access/jobs.js';
import { grantExpireJob, grantSendInvitationJob } from './jobs.js';
import {
  customerById,
  entitlementTerms,
  grantById,
  insertGrant,
  updateGrantIfUnchanged,
  type GrantRow,
} from './store.js';

export type { GrantRow };
export type GrantSource = 'checkout' | 'subscription' | 'payment' | 'manual' | 'comp';

/** Queues the invitation email once per grant (a repeat while one is queued is absorbed). */
export async function queueInvitation(tx: Tx, grantId: string, cause: string) {
  await tx.enqueue(grantSendInvitationJob, { grantId, cause }, { dedupeKey: `invite:${grantId}` });
}

/** Queues one member sync; a burst for the same member collapses into one run. */
export async function enqueueMemberSync(
  tx: Tx,
  serverId: string,
  userId: string,
  cause: string,
  runAt?: number,
) {
  await tx.enqueue(
    memberSyncJob,
    { serverId, userId, cause },
    { dedupeKey: `sync:${serverId}:${userId}`, ...(runAt === undefined ? {} : { runAt }) },
  );
}

/**
 * Queues a member sync that reads the member first (`verify`). It replaces the payload of a queued
 * sync of that member, so a burst that contains one check runs as a check; a plain sync queued
 * after it keeps the check.
 */
export async function enqueueMemberCheck(tx: Tx, serverId: string, userId: string, cause: string) {
  await tx.enqueue(
    memberSyncJob,
    { serverId, userId, cause, verify: true },
    { dedupeKey: `sync:${serverId}:${userId}`, replacePayload: true },
  );
}

/**
 * Queues a member sync against the roles a gateway event showed. It replaces the payload of a
 * queued sync of that member: the latest observation is the one to plan against.
 */
export async function enqueueObservedSync(
  tx: Tx,
  serverId: string,
  userId: string,
  cause: string,
  roleIds: readonly string[],
) {
  await tx.enqueue(
    memberSyncJob,
    { serverId, userId, cause, observedRoles: [...roleIds] },
    { dedupeKey: `sync:${serverId}:${userId}`, replacePayload: true },
  );
}

/** Queues a sync for the Discord account a customer has linked, if any. */
export async function enqueueSyncForGrant(
  tx: Tx,
  grant: Pick<GrantRow, 'server_id' | 'customer_id'>,
  cause: string,
) {
  const customer = await customerById(tx.db, grant.customer_id);
  if (customer?.discord_user_id)
    await enqueueMemberSync(tx, grant.server_id, customer.discord_user_id, cause);
}

async function scheduleExpiry(tx: Tx, grant: Pick<GrantRow, 'id' | 'ends_at' | 'active'>) {
  if (grant.ends_at === null || !grant.active) return;
  await tx.enqueue(
    grantExpireJob,
    { grantId: grant.id },
    { runAt: grant.ends_at, dedupeKey: `expire:${grant.id}:${grant.ends_at}` },
  );
}

export interface CreateGrantInput {
  entitlementId: string;
  customerId: string;
  source: GrantSource;
  /** Active at once (paid, manual, comp) or awaiting payment. */
  active: boolean;
  startsAt?: number;
  endsAt?: number | null;
  priceId?: string | null;
  stripeCheckoutSessionId?: string | null;
  stripeSubscriptionId?: string | null;
  note?: string | null;
  cause: string;
}

/**
 * Creates a grant with a claim code. An active grant (manual, comp, reissued) confers access at once:
 * it is announced (`entitlement_grant.created`) and synced now. An inactive one (a checkout awaiting
 * payment) is announced by applyGrantEvent when it first confers access, if it ever does.
 */
export async function createGrant(ctx: AppContext, tx: Tx, input: CreateGrantInput): Promise<GrantRow> {
  const entitlement = await entitlementTerms(tx.db, input.entitlementId);
  if (!entitlement) throw notFound('entitlement', input.entitlementId);
  const now = ctx.clock.now();
  const startsAt = input.startsAt ?? now;
  const endsAt =
    input.endsAt !== undefined
      ? input.endsAt
      : entitlement.access_kind === 'days' && entitlement.access_days
        ? startsAt + entitlement.access_days * 86_400_000
        : null;
  const row: GrantRow = {
    id: newId('grant', now),
    entitlement_id: entitlement.id,
    customer_id: input.customerId,
    server_id: entitlement.server_id,
    status: 'pending',
    active: input.active ? 1 : 0,
    source: input.source,
    price_id: input.priceId ?? null,
    stripe_checkout_session_id: input.stripeCheckoutSessionId ?? null,
    stripe_subscription_id: input.stripeSubscriptionId ?? null,
    stripe_payment_intents: '[]',
    stripe_status: null,
    stripe_event_created: null,
    starts_at: startsAt,
    ends_at: endsAt,
    grace_ends_at: null,
    claim_code: newClaimCode(),
    granted_role_ids: '[]',
    last_error_code: null,
    last_error_message: null,
    last_error_owner: null,
    status_reason: null,
    note: input.note ?? null,
    created_at: now,
    updated_at: now,
    delivered_at: null,
    revoked_at: null,
    reminded_for_ends_at: null,
    payment_failed_reminded_for: null,
    announced_at: input.active ? now : null,
    revoke_billing: null,
    revoke_billing_status: null,
    revoke_billing_error: null,
    stripe_cancel_at: null,
  };
  await insertGrant(tx.db, row);
  if (row.active) {
    await emitWebhookEvent(ctx, tx, 'entitlement_grant.created', grantView(row));
    await enqueueSyncForGrant(tx, row, input.cause);
    await scheduleExpiry(tx, row);
  }
  return row;
}

export interface GrantEventOptions {
  cause: string;
  reason?: string;
  /** For `extend` (and `activate` on renewal): the new end of the period; null = open-ended. */
  endsAt?: number | null;
  graceEndsAt?: number | null;
  /** For `delivery_failed`. */
  error?: { code: string; message: string; owner: FailureOwner };
  /** For `delivery_succeeded`: the roles actually given. */
  grantedRoleIds?: string[];
  /** Extra columns to write with the transition (Stripe status, payment intents…). */
  patch?: Partial<
    Pick<
      GrantRow,
      | 'stripe_status'
      | 'stripe_event_created'
      | 'stripe_payment_intents'
      | 'stripe_subscription_id'
      | 'price_id'
      | 'entitlement_id'
      | 'revoke_billing'
      | 'revoke_billing_status'
    >
  >;
}

/**
 * Applies one state-machine event to a grant inside `tx`: writes the row, and in the same
 * transaction queues the member sync, the expiry and the merchant webhook the change implies.
 * An illegal event throws IllegalTransitionError and writes nothing.
 */
export async function applyGrantEvent(
  ctx: AppContext,
  tx: Tx,
  grantId: string,
  event: GrantEvent,
  options: GrantEventOptions,
): Promise<GrantRow> {
  const grant = await grantById(tx.db, grantId);
  if (!grant) throw notFound('grant', grantId);
  const from = grant.status as GrantStatus;
  const next = transition(from, grant.active === 1, event);
  const now = ctx.clock.now();
  const update: Partial<GrantRow> = {
    status: next.status,
    active: next.active ? 1 : 0,
    updated_at: now,
    ...options.patch,
  };
  if (options.endsAt !== undefined) update.ends_at = options.endsAt;
  if (options.graceEndsAt !== undefined) update.grace_ends_at = options.graceEndsAt;
  if (options.reason !== undefined) update.status_reason = options.reason;
  // The first time a grant confers access it becomes a grant to the merchant (announced): before
  // that it was only a checkout, which may never be paid.
  const announcing = next.active && grant.announced_at === null;
  if (announcing) update.announced_at = now;
  switch (event) {
    case 'delivery_succeeded':
      update.delivered_at = grant.delivered_at ?? now;
      update.last_error_code = null;
      update.last_error_message = null;
      update.last_error_owner = null;
      if (options.grantedRoleIds) update.granted_role_ids = JSON.stringify(options.grantedRoleIds);
      break;
    case 'delivery_failed':
    case 'payment_failed':
      if (options.error) {
        update.last_error_code = options.error.code;
        update.last_error_message = options.error.message;
        update.last_error_owner = options.error.owner;
      }
      break;
    case 'revoke':
      update.revoked_at = now;
      break;
    case 'activate':
    case 'suspend':
    case 'restore':
    case 'extend':
      break;
  }
  // Optimistic check: a concurrent writer that moved the grant first makes this update miss.
  if (!(await updateGrantIfUnchanged(tx.db, grant, update)))
    throw new AppError('conflict', `grant ${grantId} changed concurrently; retry`);
  const after: GrantRow = { ...grant, ...update };

  const accessChanged =
    after.active !== grant.active ||
    after.ends_at !== grant.ends_at ||
    after.entitlement_id !== grant.entitlement_id;
  if (accessChanged || event === 'activate' || event === 'restore') {
    await enqueueSyncForGrant(tx, after, options.cause);
    await scheduleExpiry(tx, after);
  }

  // A paid grant starting for a buyer we can only reach by email: send the Connect Discord invitation.
  if (event === 'activate' && grant.active === 0 && grant.delivered_at === null) {
    const customer = await customerById(tx.db, grant.customer_id);
    if (customer?.email && !customer.discord_user_id) await queueInvitation(tx, grantId, options.cause);
  }

  if (announcing) await emitWebhookEvent(ctx, tx, 'entitlement_grant.created', grantView(after));
  const type = webhookTypeFor(from, after);
  // A grant never announced sends nothing (an abandoned or failed checkout is not news to the
  // merchant); the `updated` of the announcing change itself is what `created` already says.
  const newsworthy = after.announced_at !== null && !(announcing && type === 'entitlement_grant.updated');
  if (type && newsworthy) await emitWebhookEvent(ctx, tx, type, grantView(after));
  return after;
}

function webhookTypeFor(from: GrantStatus, after: GrantRow): string | null {
  if (after.status === from && after.status !== 'pending') {
    return after.status === 'failed' || after.status === 'delivered' ? null : 'entitlement_grant.updated';
  }
  switch (after.status as GrantStatus) {
    case 'delivered':
      return 'entitlement_grant.delivered';
    case 'failed':
      return 'entitlement_grant.failed';
    case 'revoked':
      return 'entitlement_grant.revoked';
    case 'pending':
    case 'suspended':
      return 'entitlement_grant.updated';
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of a grant (API responses and merchant webhooks). */
export function grantView(g: GrantRow) {
  return {
    id: g.id,
    object: 'entitlement_grant' as const,
    entitlement_id: g.entitlement_id,
    customer_id: g.customer_id,
    server_id: g.server_id,
    status: g.status as GrantStatus,
    active: g.active === 1,
    source: g.source,
    price_id: g.price_id,
    stripe_checkout_session_id: g.stripe_checkout_session_id,
    stripe_subscription_id: g.stripe_subscription_id,
    stripe_status: g.stripe_status,
    starts_at: iso(g.starts_at),
    ends_at: iso(g.ends_at),
    grace_ends_at: iso(g.grace_ends_at),
    granted_role_ids: JSON.parse(g.granted_role_ids) as string[],
    last_error:
      g.last_error_code === null
        ? null
        : {
            code: g.last_error_code,
            message: g.last_error_message,
            owner: g.last_error_owner as FailureOwner,
          },
    status_reason: g.status_reason,
    revoke_billing: g.revoke_billing as RevokeBilling | null,
    revoke_billing_status: g.revoke_billing_status as RevokeBillingStatus | null,
    revoke_billing_error: g.revoke_billing_error,
    stripe_cancel_at: iso(g.stripe_cancel_at),
    note: g.note,
    created_at: iso(g.created_at),
    updated_at: iso(g.updated_at),
    delivered_at: iso(g.delivered_at),
    revoked_at: iso(g.revoked_at),
  };
}

export async function getGrant(ctx: AppContext, id: string): Promise<GrantRow> {
  const g = await grantById(ctx.db.kysely, id);
  if (!g) throw notFound('grant', id);
  return g;
}
