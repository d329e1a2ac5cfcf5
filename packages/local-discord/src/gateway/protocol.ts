import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from 'discord-api-types/v10';

/** Gateway v10 as the Local Discord speaks it (docs: events/gateway, topics/opcodes-and-status-codes). */

export { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes };

/** Every intent bit Discord defines; anything else in `intents` closes with 4013. */
export const KNOWN_INTENTS = Object.values(GatewayIntentBits)
  .filter((bit): bit is GatewayIntentBits => typeof bit === 'number')
  .reduce((all, bit) => all | bit, 0);

/** Intents an application must have switched on in the developer portal, or identify closes with 4014. */
export type PrivilegedIntent = 'GuildMembers' | 'GuildPresences' | 'MessageContent';

export const PRIVILEGED_INTENT_BITS: Readonly<Record<PrivilegedIntent, number>> = {
  GuildMembers: GatewayIntentBits.GuildMembers,
  GuildPresences: GatewayIntentBits.GuildPresences,
  MessageContent: GatewayIntentBits.MessageContent,
};

/** Discord closes the connection on a client payload above 4,096 bytes (4002). */
export const MAX_CLIENT_PAYLOAD_BYTES = 4096;

/** What a client sent, once it parsed as a gateway payload. */
export interface ClientPayload {
  op: number;
  d: unknown;
}

/** The JSON text of a client frame as a payload, or null for anything Discord answers with 4002. */
export function parseClientPayload(text: string): ClientPayload | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || typeof parsed['op'] !== 'number' || !Number.isInteger(parsed['op'])) return null;
  return { op: parsed['op'], d: parsed['d'] ?? null };
}

export interface IdentifyData {
  token: string;
  intents: number;
  /** [shard_id, num_shards]; [0, 1] when not sent. */
  shard: [number, number];
  largeThreshold: number;
}

/** The `d` of op 2, or null when a required field is missing or mistyped (4002). */
export function parseIdentify(d: unknown): IdentifyData | null {
  if (!isRecord(d) || typeof d['token'] !== 'string' || !isRecord(d['properties'])) return null;
  const intents = d['intents'];
  if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0) return null;
  const shard = d['shard'] ?? [0, 1];
  if (!Array.isArray(shard) || shard.length !== 2 || !shard.every((n) => Number.isInteger(n))) return null;
  const threshold = d['large_threshold'] ?? 50;
  if (typeof threshold !== 'number') return null;
  return {
    token: d['token'],
    intents,
    shard: [shard[0] as number, shard[1] as number],
    // Discord accepts 50–250.
    largeThreshold: Math.min(Math.max(threshold, 50), 250),
  };
}

export interface ResumeData {
  token: string;
  sessionId: string;
  seq: number;
}

/** The `d` of op 6, or null (4002). */
export function parseResume(d: unknown): ResumeData | null {
  if (!isRecord(d) || typeof d['token'] !== 'string' || typeof d['session_id'] !== 'string') return null;
  const seq = d['seq'];
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) return null;
  return { token: d['token'], sessionId: d['session_id'], seq };
}

/** The shard a guild's events go to: `(guild_id >> 22) % num_shards`. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/**
 * Closes after which Discord forgets the session (identify again); after any other close the
 * session stays resumable. A client closing with 1000 or 1001 also ends its session.
 */
export function closeEndsSession(code: number): boolean {
  switch (code) {
    case 1000:
    case 1001:
    case GatewayCloseCodes.AuthenticationFailed:
    case GatewayCloseCodes.InvalidSeq:
    case GatewayCloseCodes.SessionTimedOut:
    case GatewayCloseCodes.InvalidShard:
    case GatewayCloseCodes.ShardingRequired:
    case GatewayCloseCodes.InvalidAPIVersion:
    case GatewayCloseCodes.InvalidIntents:
    case GatewayCloseCodes.DisallowedIntents:
      return true;
    default:
      return false;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
