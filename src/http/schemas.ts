import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { isId, type IdKind } from '../core/ids.js';

/**
 * Zod building blocks shared by the API's route schemas. Inputs are strict and bounded so that a
 * malformed request is refused by validation (400) before any use case runs.
 */

/**
 * Text a person typed: trimmed, bounded, and without NUL characters, which PostgreSQL refuses to
 * store (that would surface as a 500 instead of a 400).
 */
export function text(max: number, min = 0) {
  return z
    .string()
    .trim()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
}

export const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits)');

/** An id of one kind in a body or query (malformed → 400 there; unknown → 404 from the use case). */
export function idOf(kind: IdKind, example: string) {
  return z
    .string()
    .max(100)
    .refine((v) => isId(kind, v), `must be an id like ${example}`);
}

/** Path parameter `:id`; its format is checked by `requireId` so a malformed id is a 404 like an unknown one. */
export const idParams = z.strictObject({ id: z.string().max(200) });

/** Throws 404 when `id` is not even shaped like an id of `kind`: no such resource can exist. */
export function requireId(kind: IdKind, what: string, id: string): string {
  if (!isId(kind, id)) throw new AppError('not_found', `${what} ${id} does not exist`);
  return id;
}

function isCalendarDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number);
  if (y === undefined || m === undefined || d === undefined) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * An ISO 8601 date-time with an offset (`2026-05-01T00:00:00Z`), as epoch ms. Calendar-checked:
 * `Date.parse` would silently turn February 30 into March 2.
 */
export const isoDateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-05-01T00:00:00Z' })
  .refine(isCalendarDate, 'is not a real calendar date')
  .transform((v) => Date.parse(v));

/** `true` / `false` in a query string. */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/** A date-time in a response: ISO 8601, UTC. */
export const isoString = z.string().describe('ISO 8601 date-time (UTC)');

/** The audit cause of an API action: the key that made it (`person:key_…`). */
export function personCause(request: FastifyRequest): string {
  return `person:${request.apiKeyId ?? request.adminId ?? 'unknown'}`;
}
