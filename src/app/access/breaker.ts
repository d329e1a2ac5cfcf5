import type { Executor } from '../../adapters/store/db.js';
import { loggedSince } from './store/sync-log.js';

/** The sync_log code of a breaker stop; the heal task leaves servers paused by it alone. */
export const BREAKER_CODE = 'reconcile_breaker';

/**
 * True when the server's current pause was set by the reconcile breaker (its log entry is written
 * with the pause, so it is at least as new as `paused_at`). The heal task must not undo such a
 * pause: the setup is fine, it is the size of the change that needs a person (or a smaller diff).
 */
export async function pausedByBreaker(
  db: Executor,
  server: { id: string; status: string; paused_at: number | null },
): Promise<boolean> {
  if (server.status !== 'paused' || server.paused_at === null) return false;
  return loggedSince(db, server.id, BREAKER_CODE, server.paused_at);
}
