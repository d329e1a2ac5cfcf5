import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { isId, type IdKind } from '../core/ids.js';

/**
 * Cursor pagination over time-ordered ids (see core/ids.ts): lists are newest first, and a cursor is
 * the last id of the previous page, wrapped so clients treat it as opaque and we can change it later.
 */

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&cursor=`, shared by every list route. */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Items per page, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`),
  cursor: z
    .string()
    .max(200)
    .optional()
    .describe('The `next_cursor` of the previous page; omit for the first page.'),
};

const CURSOR_VERSION = 'v1';

export function encodeCursor(lastId: string): string {
  return Buffer.from(`${CURSOR_VERSION}:${lastId}`, 'utf8').toString('base64url');
}

/** The id a cursor points after, or a 400 `invalid_cursor` when it is not one we issued for this list. */
export function decodeCursor(cursor: string, kind: IdKind): string {
  const invalid = () =>
    new AppError(
      'invalid_cursor',
      'cursor is not valid for this list; pass the next_cursor of a previous page unchanged',
    );
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [version, id, ...rest] = text.split(':');
  if (version !== CURSOR_VERSION || id === undefined || rest.length > 0 || !isId(kind, id)) throw invalid();
  return id;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * Turns `limit + 1` rows (fetched newest first) into a page: the extra row only tells whether a
 * next page exists, so the last page never costs a request that comes back empty.
 */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown[shown.length - 1];
  return { data: shown.map(view), next_cursor: more && last ? encodeCursor(last.id) : null };
}

/** Response schema for a page of `item`. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}
