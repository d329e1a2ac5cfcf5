/**
 * `expand[]`: replaces an id with the object it names (`subscription`, `data.customer`,
 * `subscription.latest_invoice`) and fills properties Stripe only includes on request
 * (`line_items` on a Checkout Session, `payments` on an invoice).
 */
import { invalidParam } from './errors.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface ExpandSource {
  /** The object with this id, as JSON, or undefined. */
  find(id: string): Json | undefined;
  /** A property included only on request, for an object of type `objectType`. */
  includable(objectType: string, id: string, property: string): Json | undefined;
}

const MAX_DEPTH = 4;
// Properties that hold an id (or null) and may be expanded; a null elsewhere is not expandable.
const EXPANDABLE = new Set([
  'customer',
  'subscription',
  'payment_intent',
  'latest_invoice',
  'latest_charge',
  'invoice',
  'charge',
  'product',
  'price',
  'default_price',
  'default_payment_method',
  'payment_method',
  'balance_transaction',
  'setup_intent',
  'payment_link',
  'schedule',
  'test_clock',
  'application',
  'on_behalf_of',
  'review',
  'source',
  'default_source',
  'pending_setup_intent',
  'latest_revision',
  'failure_balance_transaction',
  'transfer_reversal',
  'source_transfer_reversal',
  'discount',
  'configuration',
]);

/** The JSON an object is sent as (Decimals become strings); a fresh copy. */
export function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expand(body: Json, paths: readonly string[], source: ExpandSource): Json {
  let out = body;
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > MAX_DEPTH) {
      throw invalidParam(
        'expand',
        `You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`,
      );
    }
    out = expandAt(out, segments, source, path);
  }
  return out;
}

function cannot(path: string): Error {
  return invalidParam('expand', `This property cannot be expanded (${path}).`);
}

function expandAt(node: Json, segments: string[], source: ExpandSource, path: string): Json {
  const [head, ...rest] = segments;
  if (head === undefined) return node;
  if (!isObject(node)) throw cannot(path);
  if (node['object'] === 'list' && head === 'data' && Array.isArray(node['data'])) {
    return { ...node, data: node['data'].map((item) => expandAt(item, rest, source, path)) };
  }
  let value = node[head];
  if (value === undefined) {
    const type = node['object'];
    const id = node['id'];
    value =
      typeof type === 'string' && typeof id === 'string' ? source.includable(type, id, head) : undefined;
    if (value === undefined) throw cannot(path);
  } else if (rest.length === 0 && typeof value === 'object' && !EXPANDABLE.has(head)) throw cannot(path);
  if (typeof value === 'string') {
    const found = source.find(value);
    if (found === undefined) throw cannot(path);
    value = found;
  }
  if (value === null) {
    if (!EXPANDABLE.has(head)) throw cannot(path);
    return { ...node, [head]: null };
  }
  return { ...node, [head]: expandAt(value, rest, source, path) };
}
