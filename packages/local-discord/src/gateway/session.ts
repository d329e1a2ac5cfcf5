import type { GatewayConnection } from './connection.js';

/** One dispatch as sent: op 0 with its sequence number. */
export interface SentDispatch {
  s: number;
  t: string;
  d: unknown;
}

export interface GatewaySessionInfo {
  sessionId: string;
  intents: number;
  shard: [number, number];
  /** The last sequence number given out. */
  sequence: number;
  connected: boolean;
  /** Wall-clock ms when the connection went away; null while connected. */
  disconnectedAt: number | null;
}

/**
 * A gateway session: what identify created and resume continues. It numbers its dispatches and
 * keeps the last `replayLimit` of them, so a client that lost its connection gets exactly what it
 * missed when it resumes — even dispatches that happened while it was away.
 */
export class GatewaySession {
  sequence = 0;
  connection: GatewayConnection | null = null;
  disconnectedAt: number | null = null;
  private readonly sent: SentDispatch[] = [];

  constructor(
    readonly id: string,
    readonly intents: number,
    readonly shard: [number, number],
    /** Above this many members a guild is `large` in GUILD_CREATE. */
    readonly largeThreshold: number,
    private readonly replayLimit: number,
  ) {}

  /** Numbers a dispatch and keeps it for replay; the caller sends it if connected. */
  record(t: string, d: unknown): SentDispatch {
    this.sequence += 1;
    const dispatch = { s: this.sequence, t, d };
    this.sent.push(dispatch);
    if (this.sent.length > this.replayLimit) this.sent.shift();
    return dispatch;
  }

  /** Takes a sequence number without keeping the dispatch (RESUMED is never replayed). */
  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** Dispatches after `seq`, or null when some of them are no longer kept. */
  since(seq: number): SentDispatch[] | null {
    const oldestKept = this.sent[0]?.s ?? this.sequence + 1;
    if (seq + 1 < oldestKept) return null;
    return this.sent.filter((dispatch) => dispatch.s > seq);
  }

  info(): GatewaySessionInfo {
    return {
      sessionId: this.id,
      intents: this.intents,
      shard: [...this.shard],
      sequence: this.sequence,
      connected: this.connection !== null,
      disconnectedAt: this.disconnectedAt,
    };
  }
}
