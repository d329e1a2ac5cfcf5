import { randomBytes } from 'node:crypto';
import type { Dialect } from '../../src/adapters/store/db.js';
import { startLocalStripe, type LocalStripe } from '@rolegate/local-stripe';
import { startUx, type UxHarness } from '../discord-ux/harness.js';
import { CookieBrowser } from '../helpers/browser-client.js';
import { settle } from '../stripe/harness.js';

/**
 * Everything a web buyer touches, all real: Rolegate with a worker, the local Stripe (its signed
 * webhooks reach Rolegate), the local Discord (OAuth, bot), and an SMTP mail sink.
 */
export interface BuyerWorld extends UxHarness {
  ls: LocalStripe;
  webhookSecret: string;
  /** A fresh cookie jar: one browser. */
  browser(): CookieBrowser;
  /** An entitlement for sale; `once` = one payment for lifetime access, else a monthly subscription. */
  offer(kind?: 'once' | 'monthly'): Promise<string>;
  /** Posts the offer form; on a redirect to Stripe, the session it leads to. */
  postOffer(b: CookieBrowser, entitlementId: string, email: string): Promise<OfferPost>;
  /** Pays a session on the local Stripe and waits until Rolegate processed its events. */
  pay(sessionId: string): Promise<void>;
  settle(): Promise<void>;
  grantOfSession(
    sessionId: string,
  ): Promise<{ id: string; status: string; active: number; claim_code: string | null; customer_id: string }>;
}

export interface OfferPost {
  status: number;
  location: string | null;
  text: string;
  headers: Headers;
  headerText: string;
  setCookies: string[];
  sessionId: string | null;
}

export async function startBuyerWorld(dialect: Dialect): Promise<BuyerWorld> {
  const ls = await startLocalStripe({ sweepIntervalMs: null });
  const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
  const ux = await startUx(dialect, {
    env: { STRIPE_SECRET_KEY: ls.secretKey, STRIPE_API_URL: ls.url, STRIPE_WEBHOOK_SECRET: webhookSecret },
  });
  ls.addWebhookEndpoint(`${ux.t.url}/webhooks/stripe`, { secret: webhookSecret });
  const db = ux.t.app.ctx.db.kysely;
  const world: BuyerWorld = {
    ...ux,
    ls,
    webhookSecret,
    browser: () => new CookieBrowser(ux.t.url),
    offer: (kind = 'once') =>
      ux.entitlement(
        kind === 'once'
          ? { prices: [{ kind: 'one_time', amount: 900, currency: 'usd' }], access: { kind: 'lifetime' } }
          : {},
      ),
    async postOffer(b, entitlementId, email) {
      const res = await b.post(`/offers/${entitlementId}`, { email });
      const sessionId =
        res.status === 303 && res.location?.startsWith(ls.url)
          ? (new URL(res.location).pathname.split('/').pop() ?? null)
          : null;
      return { ...res, sessionId };
    },
    async pay(sessionId) {
      ls.completeCheckout(sessionId, { outcome: 'paid' });
      await world.settle();
    },
    settle: () => settle({ t: ux.t, ls }),
    grantOfSession: (sessionId) =>
      db
        .selectFrom('grants')
        .select(['id', 'status', 'active', 'claim_code', 'customer_id'])
        .where('stripe_checkout_session_id', '=', sessionId)
        .executeTakeFirstOrThrow(),
    async stop() {
      await ux.stop();
      await ls.close();
    },
  };
  return world;
}
