/** Stripe-looking ids: a type prefix and random base62 characters. */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** Prefixes the local Stripe issues, one per object type. */
export const ID_PREFIX = {
  product: 'prod_',
  price: 'price_',
  customer: 'cus_',
  session: 'cs_test_',
  lineItem: 'li_',
  subscription: 'sub_',
  subscriptionItem: 'si_',
  invoice: 'in_',
  invoiceLine: 'il_',
  invoicePayment: 'inpay_',
  paymentIntent: 'pi_',
  charge: 'ch_',
  refund: 're_',
  dispute: 'dp_',
  portalSession: 'bps_',
  event: 'evt_',
  request: 'req_',
  paymentMethod: 'pm_',
  balanceTransaction: 'txn_',
  webhookEndpoint: 'we_',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

export function newId(kind: IdKind): string {
  return ID_PREFIX[kind] + randomToken(kind === 'session' ? 40 : 24);
}
