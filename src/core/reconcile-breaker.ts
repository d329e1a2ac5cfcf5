/**
 * The reconcile breaker, as a pure function: a run that would remove "too many" managed roles at
 * once is far more likely a bug, a bad import or a misconfigured entitlement than real churn, and
 * removing paid access by mistake is the expensive direction. So such a run removes nothing and
 * asks a person instead.
 */

export interface BreakerLimits {
  /** Most removals one run may make. Default 50 (RECONCILE_BREAKER_MAX_REMOVALS). */
  maxRemovals: number;
  /** Largest share (0–1) of the server's managed role assignments one run may remove. Default 0.1. */
  maxShare: number;
}

/** Below this many removals the share rule does not apply: a small server fixing one role is no incident. */
export const BREAKER_SHARE_MIN_REMOVALS = 10;

/** Null when the run may proceed; otherwise the reason in plain words for the merchant. */
export function breakerVerdict(
  removals: number,
  assignments: number,
  limits: BreakerLimits,
  serverId: string,
): string | null {
  const share = assignments ? removals / assignments : 0;
  const trips =
    removals > limits.maxRemovals || (removals >= BREAKER_SHARE_MIN_REMOVALS && share > limits.maxShare);
  if (!trips) return null;
  return (
    `Reconcile stopped before removing ${removals} managed roles (${(share * 100).toFixed(1)}% of ${assignments}) in one run: ` +
    `more than the safety limit (${limits.maxRemovals} roles or ${(limits.maxShare * 100).toFixed(0)}%). ` +
    `Check this server's entitlements and grants; if the removals are right, run \`rolegate reconcile --server ${serverId} --confirm-removals\`.`
  );
}
