/**
 * Who must act when something fails. Every vendor error maps to exactly one of these (see the
 * adapters' classify functions), and the owner decides what Rolegate does next.
 * - `retry`: transient (network, 5xx, 429): the job retries with backoff.
 * - `merchant`: the server's setup is wrong (permissions, hierarchy, deleted role, bot removed):
 *   that server's syncs pause until its health check passes again.
 * - `customer`: the buyer must act (link Discord, re-link, leave a server, unbanned).
 * - `bug`: a request Rolegate should never have made; dead-lettered for an engineer.
 */
export type FailureOwner = 'retry' | 'merchant' | 'customer' | 'bug';

export const failureOwners: readonly FailureOwner[] = ['retry', 'merchant', 'customer', 'bug'];

/** A classified failure: a stable code, plain words for a person, and who must act. */
export interface Failure {
  owner: FailureOwner;
  code: string;
  message: string;
  /** For `retry`: the earliest sensible retry, in ms from now. */
  retryAfterMs?: number;
}

/** Thrown by adapters and use cases to carry a classified failure through the job runner. */
export class FailureError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'FailureError';
  }
}
