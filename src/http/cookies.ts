import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app/shared/context.js';

/**
 * The cookies Rolegate sets on buyers' and admins' browsers. All are signed (HMAC with a key derived from the
 * instance's secret), HttpOnly, SameSite=Lax, and Secure when PUBLIC_URL is https. A cookie that is
 * malformed, forged or unsigned reads as absent: it can never fail a request.
 */
export const COOKIES = {
  /** Nonce of a Connect Discord round trip: the callback must come from the browser that started it. */
  link: { name: 'rolegate_link', path: '/discord/link', maxAgeSeconds: 600 },
  /**
   * The checkouts this browser started, so only it sees their Connect link and claim code. Path `/`:
   * the offer form and the buyer's page add to it, the success page reads it.
   */
  checkout: { name: 'rolegate_checkout', path: '/', maxAgeSeconds: 86_400 },
  /** A buyer who opened their emailed sign-in link in this browser. */
  buyer: { name: 'rolegate_buyer', path: '/buyer', maxAgeSeconds: 3_600 },
  /** A customer portal session (decision 0021): a random token whose hash names the session row. */
  portal: { name: 'rolegate_portal', path: '/portal', maxAgeSeconds: 43_200 },
  /** An admin's dashboard session (its token; decision 0015). */
  session: { name: 'rolegate_session', path: '/', maxAgeSeconds: 30 * 86_400 },
  /** The `state` (and invitation) of a dashboard sign-in round trip through Discord. */
  signIn: { name: 'rolegate_signin', path: '/auth/discord', maxAgeSeconds: 600 },
} as const;

export type CookieSpec = (typeof COOKIES)[keyof typeof COOKIES];

export async function registerCookies(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(cookie, { secret: ctx.secrets.deriveKey('cookie-signing') });
}

export function setSignedCookie(reply: FastifyReply, ctx: AppContext, spec: CookieSpec, value: string) {
  return reply.setCookie(spec.name, value, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.publicUrl.startsWith('https:'),
    path: spec.path,
    maxAge: spec.maxAgeSeconds,
  });
}

export function clearCookie(reply: FastifyReply, ctx: AppContext, spec: CookieSpec) {
  return reply.clearCookie(spec.name, {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.publicUrl.startsWith('https:'),
    path: spec.path,
  });
}

/** The value of a signed cookie, or null when it is absent, malformed or forged. */
export function readSignedCookie(request: FastifyRequest, spec: CookieSpec): string | null {
  const raw = request.cookies[spec.name];
  if (raw === undefined || raw === '') return null;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid ? unsigned.value : null;
}

/** How many checkouts and sign-ins one browser remembers (the newest). */
const CLAIMS_KEPT = 8;
const CLAIM_ID = /^(grt|cus)_[0-9a-z]{26}$/;

/** The checkouts this browser started (`grt_…`) and the customers it signed in as (`cus_…`). */
export function readBrowserClaims(request: FastifyRequest): { grantIds: string[]; customerIds: string[] } {
  const ids = (readSignedCookie(request, COOKIES.checkout) ?? '')
    .split('.')
    .filter((id) => CLAIM_ID.test(id));
  return {
    grantIds: ids.filter((id) => id.startsWith('grt_')),
    customerIds: ids.filter((id) => id.startsWith('cus_')),
  };
}

/** Adds a checkout or a signed-in customer to what this browser can show it owns. */
export function rememberInBrowser(request: FastifyRequest, reply: FastifyReply, ctx: AppContext, id: string) {
  const known = (readSignedCookie(request, COOKIES.checkout) ?? '')
    .split('.')
    .filter((v) => CLAIM_ID.test(v));
  const kept = [id, ...known.filter((v) => v !== id)].slice(0, CLAIMS_KEPT);
  return setSignedCookie(reply, ctx, COOKIES.checkout, kept.join('.'));
}
