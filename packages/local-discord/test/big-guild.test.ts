import type { APIGuildMember } from 'discord-api-types/v10';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorldChange } from '../src/index.js';
import { SnowflakeFactory } from '../src/snowflake.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;

/** Every member of the guild through List Guild Members, 1,000 a page, as a reconcile reads them. */
async function listAll(guildId: string): Promise<APIGuildMember[]> {
  const all: APIGuildMember[] = [];
  let after = '0';
  for (;;) {
    const page = await h.api.guilds.getMembers(guildId, { limit: 1000, after });
    all.push(...page);
    if (page.length < 1000) return all;
    after = page.at(-1)?.user.id ?? after;
  }
}

describe('a big guild', () => {
  afterEach(async () => {
    await h.discord.close();
  });

  it('populateGuild adds members in bulk, silently, with generated names and shared role lists', async () => {
    h = await startHarness();
    const guild = h.discord.createGuild({ name: 'Big' });
    const fan = h.discord.createRole(guild.id, { name: 'Fan' }).id;
    const changes: WorldChange[] = [];
    h.discord.onWorldChange((change) => changes.push(change));

    const fans = [fan];
    const members = h.discord.populateGuild(guild.id, {
      count: 5000,
      usernamePrefix: 'fan',
      rolesOf: (i) => (i % 2 === 0 ? fans : []),
    });

    expect(changes).toEqual([]);
    expect(members.count).toBe(5000);
    expect(h.discord.getUser(members.userIdAt(7))?.username).toBe('fan7');
    expect(h.discord.getMember(guild.id, members.userIdAt(4))?.roles).toEqual([fan]);
    expect(h.discord.getMember(guild.id, members.userIdAt(5))?.roles).toEqual([]);
    expect(BigInt(members.userIdAt(1)) > BigInt(members.userIdAt(0))).toBe(true);
    expect(h.discord.getGuild(guild.id)?.approximate_member_count).toBe(5002);
    expect(() => members.userIdAt(5000)).toThrow(RangeError);
  });

  it('List Guild Members returns every member once, in id order, after leaves and rejoins in the middle', async () => {
    h = await startHarness();
    const guild = h.discord.createGuild({ name: 'Big' });
    const vip = h.discord.createRole(guild.id, { name: 'VIP' }).id;
    const vips = [vip];
    const members = h.discord.populateGuild(guild.id, {
      count: 12_345,
      rolesOf: (i) => (i % 3 === 0 ? vips : []),
    });
    const early = members.userIdAt(10);
    const late = h.discord.createUser({ username: 'late' }).id;

    h.discord.memberLeaves(guild.id, members.userIdAt(500));
    h.discord.memberLeaves(guild.id, early);
    h.discord.addMember(guild.id, late, [vip]);
    h.discord.memberRejoins(guild.id, early);
    h.discord.moderatorAddsRole(guild.id, members.userIdAt(1), vip);

    const listed = await listAll(guild.id);
    const ids = listed.map((member) => member.user.id);
    // the bulk load, the owner, the bot and `late`, minus the one who left for good
    expect(ids).toHaveLength(12_345 + 3 - 1);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(ids);
    expect(ids).not.toContain(members.userIdAt(500));
    const byId = new Map(listed.map((member) => [member.user.id, member.roles]));
    expect(byId.get(early)).toEqual([]);
    expect(byId.get(late)).toEqual([vip]);
    expect(byId.get(members.userIdAt(1))).toEqual([vip]);
    expect(byId.get(members.userIdAt(3))).toEqual([vip]);
    expect(listed.filter((member) => member.roles.includes(vip))).toHaveLength(
      // every third bulk-loaded member, plus `late` and the one the moderator gave VIP
      Math.ceil(12_345 / 3) + 2,
    );
  });

  it('a deleted role is taken from every member, bulk-loaded ones included', async () => {
    h = await startHarness();
    const guild = h.discord.createGuild({ name: 'Big' });
    const a = h.discord.createRole(guild.id, { name: 'A' }).id;
    const b = h.discord.createRole(guild.id, { name: 'B' }).id;
    const both = [a, b];
    const members = h.discord.populateGuild(guild.id, { count: 100, rolesOf: () => both });
    h.discord.deleteRole(guild.id, a);
    expect(h.discord.getMember(guild.id, members.userIdAt(99))?.roles).toEqual([b]);
  });
});

describe('snowflakes', () => {
  it('keep growing when more ids than the 22-bit increment are made within one millisecond', () => {
    const frozen = new SnowflakeFactory(() => Date.UTC(2026, 0, 1));
    let previous = -1n;
    for (let i = 0; i <= 0x400000; i += 1) {
      const id = BigInt(frozen.next());
      if (id <= previous) throw new Error(`id ${i} did not grow: ${id} after ${previous}`);
      previous = id;
    }
  });
});
