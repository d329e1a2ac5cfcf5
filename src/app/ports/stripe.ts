/**
 * Everything Rolegate asks of Stripe. The adapter (src/adapters/stripe) implements it on the
 * `stripe` package with deterministic idempotency keys.
 */
export interface StripePort {
  /** Verifies a webhook's signature over the raw body; throws when missing, bad or stale. */
  verifyWebhook(
    rawBody: Buffer,
    signatureHeader: string | undefined,
  ): { id: string; type: string; created: number };
}
