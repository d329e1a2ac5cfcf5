/**
 * How big a guild the Local Discord holds, and how fast it pages it.
 *
 *   node --expose-gc --import tsx packages/local-discord/bench/big-guild.ts [members=1000000] [--one-by-one]
 *
 * Starts a Local Discord, measures its RSS, loads a guild of N members (one role on every fifth;
 * `populateGuild` by default, or `createUser` + `addMember` per member with --one-by-one), measures
 * RSS again, then reads the whole guild with List Guild Members 1,000 per page over HTTP (as a
 * reconcile does) and prints the time per page (p50, p99, max) and the peak RSS. The route bucket
 * and the global limit are opened wide so only the Local Discord's own work is timed. Prints the machine it ran on.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { startLocalDiscord } from '../src/index.js';

const members = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const oneByOne = process.argv.includes('--one-by-one');
const mb = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;
const settledRss = (): number => {
  globalThis.gc?.();
  return process.memoryUsage().rss;
};
const heapUsed = (): number => process.memoryUsage().heapUsed;
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const discord = await startLocalDiscord({
  globalRateLimitPerSecond: 1_000_000,
  routeLimits: { listMembers: { limit: 1_000_000, windowMs: 1000 } },
});
const guild = discord.createGuild({ name: 'Big' });
const vip = [discord.createRole(guild.id, { name: 'VIP' }).id];
const none: string[] = [];
const rssBefore = settledRss();
const heapBefore = heapUsed();

const loadStarted = performance.now();
if (oneByOne) {
  for (let i = 0; i < members; i += 1) {
    const userId = discord.createUser({ username: `member${i}` }).id;
    discord.addMember(guild.id, userId, i % 5 === 0 ? vip : none);
  }
} else {
  discord.populateGuild(guild.id, { count: members, rolesOf: (i) => (i % 5 === 0 ? vip : none) });
}
const loadMs = performance.now() - loadStarted;
const rssLoaded = settledRss();
const heapLoaded = heapUsed();

const pageMs: number[] = [];
let listed = 0;
let after = '0';
for (;;) {
  const started = performance.now();
  const res = await fetch(`${discord.apiBaseUrl}/v10/guilds/${guild.id}/members?limit=1000&after=${after}`, {
    headers: { Authorization: `Bot ${discord.botToken}` },
  });
  const page = (await res.json()) as { user: { id: string } }[];
  pageMs.push(performance.now() - started);
  if (res.status !== 200) throw new Error(`List Guild Members answered ${res.status}`);
  listed += page.length;
  if (page.length < 1000) break;
  after = page.at(-1)?.user.id ?? after;
}
clearInterval(sampler);
await discord.close();

const sorted = [...pageMs].sort((a, b) => a - b);
const at = (q: number): string =>
  (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
console.log(
  [
    `members: ${members.toLocaleString('en')} (${oneByOne ? 'createUser + addMember each' : 'populateGuild'}), loaded in ${Math.round(loadMs)} ms`,
    `RSS: ${mb(rssBefore)} empty → ${mb(rssLoaded)} loaded (+${mb(rssLoaded - rssBefore)}; JS heap +${mb(heapLoaded - heapBefore)}); peak ${mb(Math.max(peakRss, rssLoaded))} while paging`,
    `List Guild Members: ${pageMs.length} pages, ${listed.toLocaleString('en')} members; ms per page over HTTP p50 ${at(0.5)}, p99 ${at(0.99)}, max ${at(1)}`,
    `machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ].join('\n'),
);
