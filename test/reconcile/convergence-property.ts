import fc from 'fast-check';
import { inTransaction } from '../../src/app/shared/context.js';
import { applyGrantEvent } from '../../src/app/grants/grants.js';
import { reconcileServer } from '../../src/app/access/reconcile.js';
import { isLive } from '../../src/core/desired-roles.js';
import type { GrantEvent } from '../../src/core/grant-state.js';
import { buildHandlers } from '../../src/main/job-handlers.js';
import { runRegistered } from '../../src/core/jobs.js';
import { claimJobs, completeJob, failJob, reapExpiredLeases } from '../../src/adapters/store/queue.js';
import type { StartLocalDiscordOptions } from '@rolegate/local-discord';
import { buyer, drain, entitlement, grant, newShop, type Shop, type World } from './world.js';

/**
 * Convergence: whatever happened before — payments and lifecycle events, moderators editing roles
 * by hand, members leaving and rejoining, the bot's role moved below a sold role, Discord failing
 * (5xx, 429), workers dying mid-job — one reconcile (and the member syncs it leaves queued) brings
 * every member's managed roles to exactly the roles their live grants give: no paid buyer without
 * access, no unpaid member with access.
 *
 * Shared by the property test (test/reconcile/convergence.test.ts, a few hundred histories in CI)
 * and the soak script (scripts/soak-convergence.ts, ten thousand histories, counts divergences).
 */

export const BUYERS = 3;

export type Op =
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
const lifecycleEvents: (GrantEvent | 'expire')[] = [
  'suspend',
  'restore',
  'revoke',
  'activate',
  'extend',
  'expire',
];
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
      event: fc.constantFrom(...lifecycleEvents),
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

/** A random history: what happened to one shop before the reconcile under test. */
export const history: fc.Arbitrary<Op[]> = fc.array(op, { minLength: 3, maxLength: 18 });

/** Discord limits far above what a history uses: the property is about convergence, not pacing. */
export const convergenceDiscord: StartLocalDiscordOptions = {
  globalRateLimitPerSecond: 1_000_000,
  routeLimits: {
    memberRoles: { limit: 1_000_000, windowMs: 1000 },
    member: { limit: 1_000_000, windowMs: 1000 },
    listMembers: { limit: 1_000_000, windowMs: 1000 },
    guild: { limit: 1_000_000, windowMs: 1000 },
    user: { limit: 1_000_000, windowMs: 1000 },
  },
};

/** One member whose managed roles differ, after the reconcile, from what their live grants give. */
export interface Divergence {
  userId: string;
  outcome: string;
  actual: string[];
  desired: string[];
}

interface Scene {
  w: World;
  shop: Shop;
  ents: string[];
  buyers: { userId: string; customerId: string }[];
  users: string[];
  grants: string[];
  positions: Map<string, number>;
}

/** Runs up to `n` due jobs like a worker would; a job that throws goes back to the queue. */
async function work(w: World, n: number) {
  const handlers = buildHandlers(w.ctx);
  const jobs = await claimJobs(w.ctx.db, 'history', n, 60_000);
  for (const job of jobs) {
    try {
      const registered = handlers[job.kind];
      if (registered)
        await runRegistered(registered, JSON.parse(job.payload), {
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

async function setUp(w: World): Promise<Scene> {
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
  const users = [...buyers.map((b) => b.userId), w.discord.createUser({ username: 'stranger' }).id];
  w.discord.addMember(shop.guildId, users[BUYERS] ?? '');
  const positions = new Map(w.discord.listRoles(shop.guildId).map((r) => [r.id, r.position]));
  return { w, shop, ents, buyers, users, grants: [], positions };
}

async function lifecycle(s: Scene, o: Extract<Op, { kind: 'lifecycle' }>) {
  const id = s.grants[o.grant % Math.max(s.grants.length, 1)];
  if (!id) return;
  const ctx = s.w.ctx;
  const now = Date.now();
  const event: GrantEvent = o.event === 'expire' ? 'extend' : o.event;
  const endsAt = o.event === 'expire' ? now - 1000 : o.event === 'extend' ? now + 86_400_000 : undefined;
  await inTransaction(ctx, (tx) =>
    applyGrantEvent(ctx, tx, id, event, { cause: 'history', ...(endsAt === undefined ? {} : { endsAt }) }),
  ).catch(() => undefined); // illegal transitions are part of the noise
}

function moderate(s: Scene, o: Extract<Op, { kind: 'modAdd' | 'modRemove' }>) {
  const { discord } = s.w;
  const member = discord.getMember(s.shop.guildId, s.users[o.user] ?? '');
  if (!member) return;
  const role = s.shop.roles[o.role] ?? '';
  const next = o.kind === 'modAdd' ? [...member.roles, role] : member.roles.filter((r) => r !== role);
  discord.setMemberRoles(s.shop.guildId, s.users[o.user] ?? '', next);
}

async function apply(s: Scene, o: Op): Promise<void> {
  const { discord, ctx } = s.w;
  const { guildId } = s.shop;
  const r0 = s.shop.roles[0] ?? '';
  switch (o.kind) {
    case 'pay':
      s.grants.push(await grant(s.w, s.ents[o.ent] ?? '', s.buyers[o.buyer]?.customerId ?? ''));
      return;
    case 'lifecycle':
      return lifecycle(s, o);
    case 'modAdd':
    case 'modRemove':
      return moderate(s, o);
    case 'leave':
      discord.removeMember(guildId, s.users[o.user] ?? '');
      return;
    case 'rejoin':
      if (!discord.getMember(guildId, s.users[o.user] ?? ''))
        discord.addMember(guildId, s.users[o.user] ?? '');
      return;
    case 'botBelow':
      discord.setRolePosition(guildId, r0, 100);
      return;
    case 'botRestored':
      discord.setRolePosition(guildId, r0, s.positions.get(r0) ?? 1);
      return;
    case 'fault':
      discord.faults.next({
        status: o.status,
        count: o.count,
        retryAfterSeconds: 0.01,
        match: { pathIncludes: guildId },
      });
      return;
    case 'work':
      return work(s.w, o.jobs);
    case 'killMidJob':
      // A worker claims a job and dies: the job stays `running` until its lease expires.
      await claimJobs(ctx.db, 'doomed', 1, 60_000);
      return;
    case 'reconcileMidway':
      await reconcileServer(ctx, s.shop.serverId).catch(() => undefined);
      return;
  }
}

/** Every member of the shop whose managed roles are not exactly their live grants' roles. */
async function divergences(s: Scene, outcome: string): Promise<Divergence[]> {
  const { discord, ctx } = s.w;
  const [r0, r1, r2] = s.shop.roles as [string, string, string];
  const entRoles = new Map<string, string[]>([
    [s.ents[0] ?? '', [r0]],
    [s.ents[1] ?? '', [r1, r2]],
    [s.ents[2] ?? '', [r1]],
  ]);
  const rows = await ctx.db.kysely
    .selectFrom('grants')
    .selectAll()
    .where('server_id', '=', s.shop.serverId)
    .execute();
  const now = Date.now();
  const found: Divergence[] = [];
  for (const [i, userId] of s.users.entries()) {
    const member = discord.getMember(s.shop.guildId, userId);
    if (!member) continue;
    const desired = new Set<string>();
    for (const g of rows)
      if (
        g.customer_id === s.buyers[i]?.customerId &&
        isLive({ active: g.active === 1, startsAt: g.starts_at, endsAt: g.ends_at }, now)
      )
        for (const r of entRoles.get(g.entitlement_id) ?? []) desired.add(r);
    const actual = member.roles.filter((r) => s.shop.roles.includes(r)).sort();
    const want = [...desired].sort();
    if (actual.join() !== want.join()) found.push({ userId, outcome, actual, desired: want });
  }
  return found;
}

/**
 * Plays `ops` on a new shop in `w`, then lets Discord recover, expires dead workers' leases, runs one
 * reconcile and the member syncs it queued, and returns the members whose roles diverge.
 */
export async function runHistory(w: World, ops: Op[]): Promise<Divergence[]> {
  const { discord, ctx } = w;
  await ctx.db.kysely.deleteFrom('jobs').execute(); // leftovers of a failed (shrinking) run
  const s = await setUp(w);
  for (const o of ops) await apply(s, o);

  // Discord recovers and the merchant has fixed the role order; leases of dead workers expire.
  const r0 = s.shop.roles[0] ?? '';
  discord.faults.clear();
  discord.setRolePosition(s.shop.guildId, r0, s.positions.get(r0) ?? 1);
  await reapExpiredLeases(ctx.db.kysely, Date.now() + 120_000);
  const report = await reconcileServer(ctx, s.shop.serverId);
  await drain(w, 8);
  const found = await divergences(s, report.outcome);
  await ctx.db.kysely.deleteFrom('jobs').execute();
  return found;
}
