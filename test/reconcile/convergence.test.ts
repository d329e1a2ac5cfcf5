import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/app/shared/context.js';
import { applyGrantEvent } from '../../src/app/grants/grants.js';
import { reconcileServer } from '../../src/app/access/reconcile.js';
import { isLive } from '../../src/core/desired-roles.js';
import type { GrantEvent } from '../../src/core/grant-state.js';
import { buildHandlers } from '../../src/main/job-handlers.js';
import { claimJobs, completeJob, failJob, reapExpiredLeases } from '../../src/adapters/store/queue.js';
import { buyer, drain, entitlement, grant, newShop, startWorld, type World } from './world.js';

/**
 * Convergence: whatever happened before — payments and lifecycle events, moderators editing roles
 * by hand, members leaving and rejoining, the bot's role moved below a sold role, Discord failing
 * (5xx, 429), workers dying mid-job — one reconcile (and the member syncs it leaves queued) brings
 * every member's managed roles to exactly the roles their live grants give: no paid buyer without
 * access, no unpaid member with access.
 */

const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 300);
const BUYERS = 3;

type Op =
  | { kind: 'pay'; buyer: number; ent: number }
  | { kind: 'lifecycle'; grant: number; event: GrantEvent | 'expire' }
  | { kind: 'modAdd' | 'modRemove'; user: number; role: number }
  | { kind: 'leave' | 'rejoin'; user: number }
  | { kind: 'botBelow' | 'botRestored' }
  | { kind: 'fault'; status: 500 | 503 | 429; count: number }
  | { kind: 'work'; jobs: number }
  | { kind: 'killMidJob' }
  | { kind: 'reconcileMidway' };

const user = fc.nat({ max: BUYERS }); // BUYERS = the stranger (no customer)
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('pay' as const),
      buyer: fc.nat({ max: BUYERS - 1 }),
      ent: fc.nat({ max: 2 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('lifecycle' as const),
      grant: fc.nat({ max: 5 }),
      event: fc.constantFrom<GrantEvent | 'expire'>(
        'suspend',
        'restore',
        'revoke',
        'activate',
        'extend',
        'expire',
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('modAdd' as const, 'modRemove' as const),
      user,
      role: fc.nat({ max: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('leave' as const, 'rejoin' as const), user }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('botBelow' as const, 'botRestored' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      status: fc.constantFrom(500 as const, 503 as const, 429 as const),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('work' as const), jobs: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('killMidJob' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconcileMidway' as const) }) },
);

describe('convergence of reconcile', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld('sqlite', {
      localDiscord: {
        globalRateLimitPerSecond: 1_000_000,
        routeLimits: {
          memberRoles: { limit: 1_000_000, windowMs: 1000 },
          member: { limit: 1_000_000, windowMs: 1000 },
          listMembers: { limit: 1_000_000, windowMs: 1000 },
          guild: { limit: 1_000_000, windowMs: 1000 },
          user: { limit: 1_000_000, windowMs: 1000 },
        },
      },
    });
  });
  afterAll(async () => {
    await w.stop();
  });

  /** Runs up to `n` due jobs like a worker would; a job that throws goes back to the queue. */
  async function work(n: number) {
    const handlers = buildHandlers(w.ctx);
    const jobs = await claimJobs(w.ctx.db, 'history', n, 60_000);
    for (const job of jobs) {
      try {
        await handlers[job.kind]?.(JSON.parse(job.payload), {
          job,
          worker: 'history',
          signal: new AbortController().signal,
        });
        await completeJob(w.ctx.db.kysely, job, 'history');
      } catch (err) {
        // The worker's own failure path: back off (or, when the change was queued again meanwhile, yield to that job).
        await failJob(w.ctx.db.kysely, job, 'history', String(err));
      }
    }
  }

  it(`${RUNS} random histories end, after one reconcile, with every member's managed roles equal to their live grants' roles`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 18 }), async (history) => {
        const { discord, ctx } = w;
        await ctx.db.kysely.deleteFrom('jobs').execute(); // leftovers of a failed (shrinking) run
        const shop = await newShop(w, 3);
        const [r0, r1, r2] = shop.roles as [string, string, string];
        // E1 and E2 share r1: revoking one of them must keep it.
        const ents = [
          await entitlement(w, shop, [r0], { enforce: true }),
          await entitlement(w, shop, [r1, r2], { enforce: true }),
          await entitlement(w, shop, [r1], { enforce: true }),
        ];
        const buyers = [];
        for (let i = 0; i < BUYERS; i++) buyers.push(await buyer(w, shop));
        const users = [...buyers.map((b) => b.userId), discord.createUser({ username: 'stranger' }).id];
        discord.addMember(shop.guildId, users[BUYERS] ?? '');
        const grants: string[] = [];
        const positions = new Map(discord.listRoles(shop.guildId).map((r) => [r.id, r.position]));

        for (const o of history) {
          switch (o.kind) {
            case 'pay':
              grants.push(await grant(w, ents[o.ent] ?? '', buyers[o.buyer]?.customerId ?? ''));
              break;
            case 'lifecycle': {
              const id = grants[o.grant % Math.max(grants.length, 1)];
              if (!id) break;
              const now = Date.now();
              const event: GrantEvent = o.event === 'expire' ? 'extend' : o.event;
              const endsAt =
                o.event === 'expire' ? now - 1000 : o.event === 'extend' ? now + 86_400_000 : undefined;
              await inTransaction(ctx, (tx) =>
                applyGrantEvent(ctx, tx, id, event, {
                  cause: 'history',
                  ...(endsAt === undefined ? {} : { endsAt }),
                }),
              ).catch(() => undefined); // illegal transitions are part of the noise
              break;
            }
            case 'modAdd':
            case 'modRemove': {
              const member = discord.getMember(shop.guildId, users[o.user] ?? '');
              if (!member) break;
              const role = shop.roles[o.role] ?? '';
              const next =
                o.kind === 'modAdd' ? [...member.roles, role] : member.roles.filter((r) => r !== role);
              discord.setMemberRoles(shop.guildId, users[o.user] ?? '', next);
              break;
            }
            case 'leave':
              discord.removeMember(shop.guildId, users[o.user] ?? '');
              break;
            case 'rejoin':
              if (!discord.getMember(shop.guildId, users[o.user] ?? ''))
                discord.addMember(shop.guildId, users[o.user] ?? '');
              break;
            case 'botBelow':
              discord.setRolePosition(shop.guildId, r0, 100);
              break;
            case 'botRestored':
              discord.setRolePosition(shop.guildId, r0, positions.get(r0) ?? 1);
              break;
            case 'fault':
              discord.faults.next({
                status: o.status,
                count: o.count,
                retryAfterSeconds: 0.01,
                match: { pathIncludes: shop.guildId },
              });
              break;
            case 'work':
              await work(o.jobs);
              break;
            case 'killMidJob':
              // A worker claims a job and dies: the job stays `running` until its lease expires.
              await claimJobs(ctx.db, 'doomed', 1, 60_000);
              break;
            case 'reconcileMidway':
              await reconcileServer(ctx, shop.serverId).catch(() => undefined);
              break;
          }
        }

        // Discord recovers and the merchant has fixed the role order; leases of dead workers expire.
        discord.faults.clear();
        discord.setRolePosition(shop.guildId, r0, positions.get(r0) ?? 1);
        await reapExpiredLeases(ctx.db.kysely, Date.now() + 120_000);
        const report = await reconcileServer(ctx, shop.serverId);
        await drain(w, 8);

        const now = Date.now();
        const entRoles = new Map<string, string[]>([
          [ents[0] ?? '', [r0]],
          [ents[1] ?? '', [r1, r2]],
          [ents[2] ?? '', [r1]],
        ]);
        const rows = await ctx.db.kysely
          .selectFrom('grants')
          .selectAll()
          .where('server_id', '=', shop.serverId)
          .execute();
        for (const [i, userId] of users.entries()) {
          const member = discord.getMember(shop.guildId, userId);
          if (!member) continue;
          const desired = new Set<string>();
          for (const g of rows)
            if (
              g.customer_id === buyers[i]?.customerId &&
              isLive({ active: g.active === 1, startsAt: g.starts_at, endsAt: g.ends_at }, now)
            )
              for (const r of entRoles.get(g.entitlement_id) ?? []) desired.add(r);
          const actual = member.roles.filter((r) => shop.roles.includes(r)).sort();
          expect({ userId, history, report: report.outcome, actual }).toEqual({
            userId,
            history,
            report: report.outcome,
            actual: [...desired].sort(),
          });
        }
        await ctx.db.kysely.deleteFrom('jobs').execute();
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
