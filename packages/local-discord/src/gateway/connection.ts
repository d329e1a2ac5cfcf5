import { constants as zlibConstants, createDeflate, type Deflate } from 'node:zlib';
import { WebSocket, type RawData } from 'ws';
import {
  GatewayCloseCodes,
  GatewayOpcodes,
  MAX_CLIENT_PAYLOAD_BYTES,
  parseClientPayload,
  parseIdentify,
  parseResume,
  type IdentifyData,
  type ResumeData,
} from './protocol.js';
import type { GatewaySession } from './session.js';

export interface ConnectionLimits {
  heartbeatIntervalMs: number;
  /** No heartbeat for this long after the last one (or Hello) → close 4009. */
  heartbeatTimeoutMs: number;
  /** Client payloads allowed per window (heartbeats excluded) before close 4008. */
  sendLimit: { count: number; windowMs: number };
}

/** What the gateway does when a connection asks to start or continue a session, or goes away. */
export interface ConnectionHandlers {
  identify(connection: GatewayConnection, data: IdentifyData): void;
  resume(connection: GatewayConnection, data: ResumeData): void;
  closed(connection: GatewayConnection, code: number): void;
}

export interface ServerPayload {
  op: GatewayOpcodes;
  d: unknown;
  s?: number | null;
  t?: string | null;
}

/**
 * One WebSocket of the gateway: Hello, heartbeats and their deadline, the per-connection send
 * limit, the rules about what may come before authentication, and zlib-stream compression. What
 * identify and resume mean is the gateway's business (`ConnectionHandlers`).
 */
export class GatewayConnection {
  session: GatewaySession | null = null;
  private heartbeatDeadline: NodeJS.Timeout | undefined;
  private sendWindow: { start: number; count: number };
  private closing = false;
  private reportedClosed = false;
  private readonly deflate: Deflate | null;
  /** With compression, frames leave in order through this chain. */
  private outgoing: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    compress: boolean,
    private readonly limits: ConnectionLimits,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.deflate = compress ? createDeflate() : null;
    this.sendWindow = { start: Date.now(), count: 0 };
    socket.on('message', (data) => this.receive(data));
    socket.on('close', (code) => this.onClosed(code));
    // A reset socket emits 'error' and then 'close'; 'close' does the cleanup.
    socket.on('error', () => undefined);
    this.send({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: limits.heartbeatIntervalMs } });
    this.armHeartbeatDeadline();
  }

  get open(): boolean {
    return !this.closing && this.socket.readyState === WebSocket.OPEN;
  }

  send(payload: ServerPayload): void {
    if (!this.open) return;
    const json = JSON.stringify({ op: payload.op, d: payload.d, s: payload.s ?? null, t: payload.t ?? null });
    const deflate = this.deflate;
    if (!deflate) {
      this.socket.send(json);
      return;
    }
    this.outgoing = this.outgoing.then(() => this.sendCompressed(deflate, json));
  }

  /**
   * Closes with a gateway close code, after whatever is already queued. The gateway settles the
   * session at once (the code decides whether it stays resumable), not when the client answers.
   */
  close(code: number, reason = ''): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.heartbeatDeadline);
    this.reportClosed(code);
    void this.outgoing.then(() => this.socket.close(code, reason));
  }

  /** Drops the TCP connection without a close frame, as a network failure would (1006). */
  terminate(): void {
    this.closing = true;
    clearTimeout(this.heartbeatDeadline);
    this.socket.terminate();
  }

  private sendCompressed(deflate: Deflate, json: string): Promise<void> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const collect = (chunk: Buffer): void => {
        chunks.push(chunk);
      };
      deflate.on('data', collect);
      deflate.write(json);
      // zlib-stream: one zlib context per connection, every message ends with a sync flush
      // (00 00 ff ff), which is how clients know a message is complete.
      deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        deflate.off('data', collect);
        if (this.socket.readyState === WebSocket.OPEN) this.socket.send(Buffer.concat(chunks));
        resolve();
      });
    });
  }

  private receive(data: RawData): void {
    if (this.closing) return;
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    if (bytes.length > MAX_CLIENT_PAYLOAD_BYTES)
      return this.close(GatewayCloseCodes.DecodeError, 'Payload too large');
    // JSON encoding: clients send text; a binary frame is read as UTF-8 text all the same.
    const payload = parseClientPayload(bytes.toString('utf8'));
    if (payload === null) return this.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    if (payload.op === GatewayOpcodes.Heartbeat) return this.heartbeat(payload.d);
    if (!this.countSend()) return this.close(GatewayCloseCodes.RateLimited, 'You are being rate limited.');
    switch (payload.op) {
      case GatewayOpcodes.Identify:
      case GatewayOpcodes.Resume:
        return this.authenticate(payload.op, payload.d);
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestGuildMembers:
      case GatewayOpcodes.RequestSoundboardSounds:
      case GatewayOpcodes.RequestChannelInfo:
        // Valid commands the Local Discord accepts and ignores (it has no presences or voice).
        if (this.session === null) this.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
        return;
      default:
        return this.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
    }
  }

  private authenticate(op: GatewayOpcodes.Identify | GatewayOpcodes.Resume, d: unknown): void {
    if (this.session !== null)
      return this.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
    if (op === GatewayOpcodes.Identify) {
      const identify = parseIdentify(d);
      if (!identify) return this.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return this.handlers.identify(this, identify);
    }
    const resume = parseResume(d);
    if (!resume) return this.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    this.handlers.resume(this, resume);
  }

  private heartbeat(d: unknown): void {
    if (d !== null && typeof d !== 'number')
      return this.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
    this.armHeartbeatDeadline();
    this.send({ op: GatewayOpcodes.HeartbeatAck, d: null });
  }

  /** Counts a client payload; false once the connection sent more than its limit in the window. */
  private countSend(): boolean {
    const now = Date.now();
    const { count, windowMs } = this.limits.sendLimit;
    if (now - this.sendWindow.start >= windowMs) this.sendWindow = { start: now, count: 0 };
    this.sendWindow.count += 1;
    return this.sendWindow.count <= count;
  }

  private armHeartbeatDeadline(): void {
    clearTimeout(this.heartbeatDeadline);
    this.heartbeatDeadline = setTimeout(
      () => this.close(GatewayCloseCodes.SessionTimedOut, 'Session timed out.'),
      this.limits.heartbeatTimeoutMs,
    );
    this.heartbeatDeadline.unref();
  }

  private onClosed(code: number): void {
    this.closing = true;
    clearTimeout(this.heartbeatDeadline);
    this.deflate?.close();
    this.reportClosed(code);
  }

  private reportClosed(code: number): void {
    if (this.reportedClosed) return;
    this.reportedClosed = true;
    this.handlers.closed(this, code);
  }
}
