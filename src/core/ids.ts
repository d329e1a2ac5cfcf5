import { randomBytes } from 'node:crypto';

/** Type prefixes of every id Rolegate mints. */
export const idPrefixes = {
  server: 'srv',
  entitlement: 'ent',
  price: 'pri',
  grant: 'grt',
  customer: 'cus',
  job: 'job',
  webhookEndpoint: 'whe',
  webhookMessage: 'msg',
  apiKey: 'key',
  admin: 'adm',
  adminSession: 'ses',
  adminInvitation: 'inv',
  buyerToken: 'btk',
} as const;

export type IdKind = keyof typeof idPrefixes;

// Crockford base32: no I, L, O, U, so ids read aloud and typed by hand survive.
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * A time-ordered id: `<prefix>_<10 chars of ms time><16 random chars>`; sorting ids sorts by creation,
 * which makes them usable as pagination cursors.
 */
export function newId(kind: IdKind, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += alphabet[b % 32];
  return `${idPrefixes[kind]}_${time}${rand}`;
}

const idPattern = /^[a-z]{3}_[0-9a-z]{26}$/;

/** True when `value` looks like an id of `kind`. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${idPrefixes[kind]}_`) && idPattern.test(value);
}

/** A short human code for `/claim CODE`: 8 characters, unambiguous alphabet, `XXXX-XXXX`. */
export function newClaimCode(): string {
  const bytes = randomBytes(8);
  let out = '';
  for (const b of bytes) out += alphabet[b % 32];
  return `${out.slice(0, 4)}-${out.slice(4)}`.toUpperCase();
}
