/** Stripe list objects: newest first, `limit` (1–100, default 10), `starting_after`, `ending_before`, `created`. */
import type Stripe from 'stripe';
import { invalidParam } from './errors.js';
import type { Params } from './params.js';

/** Parameters every list endpoint accepts. */
export const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'expand', 'created'] as const;

export function listObject<T>(data: T[], url: string, hasMore = false): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: hasMore, url };
}

/** `items` must be newest first, as every Stripe list is. */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  form: Params,
  url: string,
): Stripe.ApiList<T> {
  const limit = form.integer('limit', { min: 1, max: 100 }) ?? 10;
  const after = form.nonEmptyString('starting_after');
  const before = form.nonEmptyString('ending_before');
  if (after !== undefined && before !== undefined) {
    throw invalidParam(
      'ending_before',
      'You may only specify one of these parameters: ending_before, starting_after.',
    );
  }
  const indexOf = (id: string, param: string): number => {
    const index = items.findIndex((item) => item.id === id);
    if (index === -1) throw invalidParam(param, `No such object: '${id}'`, 'resource_missing');
    return index;
  };
  if (before !== undefined) {
    // The page just before the cursor, still newest first.
    const candidates = items.slice(0, indexOf(before, 'ending_before'));
    return listObject(
      candidates.slice(Math.max(0, candidates.length - limit)),
      url,
      candidates.length > limit,
    );
  }
  const start = after === undefined ? 0 : indexOf(after, 'starting_after') + 1;
  const candidates = items.slice(start);
  return listObject(candidates.slice(0, limit), url, candidates.length > limit);
}

/** `created=TS` or `created[gt|gte|lt|lte]=TS`, as a predicate on a timestamp. */
export function createdFilter(form: Params, key = 'created'): (created: number) => boolean {
  if (!form.has(key)) return () => true;
  if (typeof form.raw[key] === 'string') {
    const exact = form.integer(key);
    return (created) => created === exact;
  }
  const range = form.object(key);
  if (range === undefined) return () => true;
  range.allowOnly(['gt', 'gte', 'lt', 'lte']);
  const gt = range.integer('gt');
  const gte = range.integer('gte');
  const lt = range.integer('lt');
  const lte = range.integer('lte');
  return (created) =>
    (gt === undefined || created > gt) &&
    (gte === undefined || created >= gte) &&
    (lt === undefined || created < lt) &&
    (lte === undefined || created <= lte);
}

/** Map values newest first. */
export function newestFirst<T>(map: Map<string, T>): T[] {
  return [...map.values()].reverse();
}
