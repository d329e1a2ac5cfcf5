/** The fields of an entitlement as the API names them, and their allowed values. */

export const priceIntervals = ['day', 'week', 'month', 'year'] as const;
export const accessKinds = ['subscription', 'days', 'lifetime'] as const;
export const revokeActions = ['remove_roles', 'kick', 'keep', 'swap'] as const;
export const partialRefundPolicies = ['revoke', 'keep'] as const;
export const disputePolicies = ['revoke', 'suspend'] as const;

export interface PriceInput {
  kind: 'one_time' | 'recurring';
  /** Integer minor units (cents). */
  amount: number;
  /** ISO 4217, lowercase. */
  currency: string;
  interval?: (typeof priceIntervals)[number] | undefined;
  interval_count?: number | undefined;
}

/** Every editable field of an entitlement, as the API names them; times are epoch ms. */
export interface EntitlementFields {
  name: string;
  description: string;
  role_ids: string[];
  prices: PriceInput[];
  access: { kind: (typeof accessKinds)[number]; days?: number | null | undefined };
  trial_days: number;
  sale_ends_at: number | null;
  revoke_action: (typeof revokeActions)[number];
  fallback_role_id: string | null;
  grace_days: number;
  enforce_roles: boolean;
  partial_refund_policy: (typeof partialRefundPolicies)[number];
  dispute_policy: (typeof disputePolicies)[number];
  restore_on_dispute_won: boolean;
}

export type CreateEntitlementInput = EntitlementFields & { server_id: string };
export type UpdateEntitlementInput = { [K in keyof EntitlementFields]?: EntitlementFields[K] | undefined };
