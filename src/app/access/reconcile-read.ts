import { FailureError } from '../../core/failure.js';
import type { DiscordMember } from '../../core/ports/discord.js';
import type { Page } from './reconcile-plan.js';
import { progress, type ReconcileRun } from './reconcile-run.js';
import { countGrantedUsers, grantedUsersAfter, grantsOfUsersIn } from './store/grants.js';
import { recordMembersIntent } from './store/servers.js';

/**
 * Reconcile reads the guild one page at a time and never holds more than a page (decision 0013):
 * List Guild Members answers 1,000 members in user-id order, `after` the last id, so a page covers
 * the id range (after, last]. With it come the grants of every linked user in that same range, by
 * one query: the page's buyers, and the buyers between its members who are not in the server. So
 * memory is flat in the guild's size and nothing remembers who was seen.
 */

export const LIST_PAGE = 1000;
/** Buyers read one by one per page when the members intent is off. */
const FALLBACK_PAGE = 100;

/** Numeric order of decimal snowflakes. */
const idAbove = (a: string, b: string) => a.length > b.length || (a.length === b.length && a > b);

function lastId(members: readonly DiscordMember[]): string | null {
  let last: string | null = null;
  for (const m of members) if (last === null || idAbove(m.userId, last)) last = m.userId;
  return last;
}

/** One List Guild Members call; null when the privileged intent is off (recorded, so scheduled runs skip it). */
async function listPage(run: ReconcileRun, after: string | null): Promise<DiscordMember[] | null> {
  const { ctx, serverId, server } = run;
  let page;
  try {
    page = await run.discord.listMembers(server.guild_id, { limit: LIST_PAGE, ...(after ? { after } : {}) });
  } catch (err) {
    if (!(err instanceof FailureError) || err.failure.code !== 'missing_access') throw err;
    // The guild itself answered the health check, so this 403 is the privileged intent being off.
    run.report.membersIntent = false;
    if (!run.dryRun) await recordMembersIntent(ctx.db.kysely, serverId, false, run.now);
    ctx.log.warn({ serverId }, 'members intent is off: reconcile reads buyers one by one');
    return null;
  }
  if (after === null && server.members_intent !== 1) {
    // The intent is back on (a retried list answered): record it so scheduled runs use it again.
    run.report.membersIntent = true;
    if (!run.dryRun) await recordMembersIntent(ctx.db.kysely, serverId, true, run.now);
  }
  return page;
}

/**
 * Pages of members and the grants of their id range, until the guild ends (or the consumer stops).
 * The next list call leaves as soon as a page is in: it waits in the global budget while this page
 * is planned and its repairs are queued, so the reader keeps pace with the repairs.
 */
export async function* readPages(run: ReconcileRun): AsyncGenerator<Page> {
  const db = run.ctx.db.kysely;
  let after: string | null = null;
  if (run.server.members_intent === 1 || run.options.retryMembersIntent) {
    let next = listPage(run, null);
    for (;;) {
      const members = await next;
      if (members === null) break;
      run.report.membersRead += members.length;
      const done = members.length < LIST_PAGE;
      const last = lastId(members);
      if (!done) next = prefetch(listPage(run, last));
      // The last page's range runs to the end: buyers above every member are not in the server.
      yield { members, grants: await grantsOfUsersIn(db, run.serverId, after, done ? null : last) };
      progress(run, 'read');
      if (done) return;
      after = last;
    }
  }
  yield* buyerPages(run, after);
}

/** A call whose failure is seen where it is awaited, and not as an unhandled rejection if the reader stops first. */
function prefetch<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * The intent-off fallback: one GET per linked buyer of the server (in id order, from `after`);
 * hand-given roles of people without any grant cannot be seen this way.
 */
async function* buyerPages(run: ReconcileRun, from: string | null): AsyncGenerator<Page> {
  const db = run.ctx.db.kysely;
  const expected = await countGrantedUsers(db, run.serverId);
  let after = from;
  for (;;) {
    const users = await grantedUsersAfter(db, run.serverId, after, FALLBACK_PAGE);
    const last = users.at(-1);
    if (last === undefined) return;
    const grants = await grantsOfUsersIn(db, run.serverId, after, last);
    const members: DiscordMember[] = [];
    for (const userId of users) {
      if (run.halt.failure) return;
      const member = await run.discord.getMember(run.server.guild_id, userId);
      if (member) {
        members.push(member);
        run.report.membersRead += 1;
      }
      progress(run, 'read', expected);
    }
    yield { members, grants };
    after = last;
  }
}
