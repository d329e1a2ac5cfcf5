import type { AppContext } from '../shared/context.js';
import { AppError } from '../../core/errors.js';
import { MANAGE_ROLES, ADMINISTRATOR, roleProblem, type RoleProblem } from '../../core/role-grantability.js';
import { loadServer, readGuild, type ServerRow } from '../access/servers.js';
import { requireDiscord } from '../shared/services.js';

/**
 * Live role and channel lists for the dashboard's dropdowns: read from Discord through the port,
 * kept for a short while per server so a form that re-renders does not cost a Discord call each time.
 */

export const LIST_CACHE_MS = 30_000;

export interface LiveRole {
  id: string;
  name: string;
  position: number;
  managed: boolean;
  grantable: boolean;
  problem: RoleProblem | null;
}

export interface LiveRoles {
  server_id: string;
  fetched_at: string;
  bot: { top_role_id: string | null; top_role_name: string | null; manage_roles: boolean };
  data: LiveRole[];
}

export interface LiveChannel {
  id: string;
  name: string | null;
  type: number;
  /** A text or announcement channel: the roles message can be posted there. */
  can_hold_roles_message: boolean;
}

export interface LiveChannels {
  server_id: string;
  fetched_at: string;
  data: LiveChannel[];
}

interface Entry {
  at: number;
  value: unknown;
}
const caches = new WeakMap<AppContext, Map<string, Entry>>();

async function cached<T>(ctx: AppContext, key: string, fresh: boolean, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  const now = ctx.clock.now();
  const hit = cache.get(key);
  if (!fresh && hit && now - hit.at < LIST_CACHE_MS) return hit.value as T;
  const value = await load();
  cache.set(key, { at: now, value });
  return value;
}

/** Drops the cached lists of a server (after a refresh, or when the merchant asks for fresh data). */
export function forgetServerLists(ctx: AppContext, serverId: string): void {
  const cache = caches.get(ctx);
  cache?.delete(`roles:${serverId}`);
  cache?.delete(`channels:${serverId}`);
}

async function connectedServer(ctx: AppContext, serverId: string): Promise<ServerRow> {
  const server = await loadServer(ctx.db.kysely, serverId);
  if (server.status === 'removed')
    throw new AppError(
      'conflict',
      `The Rolegate bot was removed from server ${serverId}: add the server again to read its roles and channels.`,
    );
  return server;
}

/** Every role of the server, highest first, each marked grantable by the bot or not with why. */
export async function liveRoles(ctx: AppContext, serverId: string, fresh = false): Promise<LiveRoles> {
  const server = await connectedServer(ctx, serverId);
  return cached(ctx, `roles:${serverId}`, fresh, async () => {
    const snap = await readGuild(requireDiscord(ctx), server.guild_id);
    const infos = snap.roles.map((r) => ({
      id: r.id,
      name: r.name,
      position: r.position,
      managed: r.managed,
    }));
    const data = snap.roles
      .map((r): LiveRole => {
        const problem = roleProblem(r.id, infos, snap.standing);
        return {
          id: r.id,
          name: r.name,
          position: r.position,
          managed: r.managed,
          grantable: problem === null,
          problem,
        };
      })
      .sort((a, b) => b.position - a.position || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const perms = BigInt(snap.standing.permissions);
    return {
      server_id: serverId,
      fetched_at: new Date(ctx.clock.now()).toISOString(),
      bot: {
        top_role_id: snap.standing.topRole?.id ?? null,
        top_role_name: snap.standing.topRole?.name ?? null,
        manage_roles: snap.standing.isOwner || (perms & (MANAGE_ROLES | ADMINISTRATOR)) !== 0n,
      },
      data,
    };
  });
}

const MESSAGE_CHANNEL_TYPES = new Set([0, 5]);

/** The server's channels; text and announcement channels can hold the roles message. */
export async function liveChannels(ctx: AppContext, serverId: string, fresh = false): Promise<LiveChannels> {
  const server = await connectedServer(ctx, serverId);
  return cached(ctx, `channels:${serverId}`, fresh, async () => {
    const channels = await requireDiscord(ctx).getGuildChannels(server.guild_id);
    return {
      server_id: serverId,
      fetched_at: new Date(ctx.clock.now()).toISOString(),
      data: channels.map((c) => ({
        id: c.id,
        name: c.name,
        type: c.type,
        can_hold_roles_message: MESSAGE_CHANNEL_TYPES.has(c.type),
      })),
    };
  });
}
