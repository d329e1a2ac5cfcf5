import { randomBytes } from 'node:crypto';
import { GatewayIntentBits, type GatewayDispatchPayload } from 'discord-api-types/v10';
import type { AppContext } from '../shared/context.js';
import { handleGatewayDispatch, orderKey, type GatewayReaction } from './gateway-events.js';
import { claimLease, recordGatewayStatus, releaseLease, type GatewayStatus } from './store/gateway-lease.js';
import {
  DISALLOWED_INTENTS,
  FINAL_CLOSE_CODES,
  type GatewayConnection,
  type GatewayHandlers,
  type OpenGateway,
} from '../../core/ports/gateway.js';

/**
 * The gateway listener (docs/decisions/0018-gateway-listener.md). Every `serve` and `worker` runs
 * one; the one holding the lease in the shared database connects, the others only keep trying to
 * take the lease. A leader renews the lease every `renewMs`; when it dies, the lease expires
 * `leaseMs` after its last renewal and the next instance to try takes it and connects. A leader
 * that cannot renew (database gone) drops its connection before the lease can expire, so two
 * connections never overlap for long.
 */

export interface GatewayListenerOptions {
  open: OpenGateway;
  /** How long a lease lives without renewal. Default 8 000 ms. */
  leaseMs?: number;
  /** How often the leader renews and the others try to take over. Default 1 500 ms. */
  renewMs?: number;
  /** After a final close (bad token, …), wait this long before connecting again. Default 60 000 ms. */
  retryFinalMs?: number;
  /** Without the members intent, try it again this often (the merchant may have switched it on). Default 10 min. */
  membersIntentRetryMs?: number;
  /** Hears each dispatch once handled, with what it led to (tests and benchmarks). */
  onReaction?: (payload: GatewayDispatchPayload, reaction: GatewayReaction) => void;
}

export const GATEWAY_INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers;

const noMembersIntentDetail = (reconcileMinutes: number) =>
  `The Server Members intent is off for this bot (the gateway closed with 4014), so member joins and hand-edited roles are repaired only by the periodic reconcile (every ${reconcileMinutes} min). Switch on "Server Members Intent" on the Bot page of the Discord developer portal; Rolegate tries again every 10 minutes. Role and server changes are still seen at once.`;

export class GatewayListener {
  readonly id = `gw_${randomBytes(6).toString('hex')}`;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryFinalMs: number;
  private readonly membersIntentRetryMs: number;
  private connection: GatewayConnection | null = null;
  private withMembers = true;
  private membersOffSince = 0;
  private leading = false;
  private lastRenewed = 0;
  private retryAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private ticking: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly chains = new Map<string, Promise<void>>();
  /** The gateway status this instance last wrote (what tests and the log look at). */
  status: GatewayStatus = 'disconnected';

  constructor(
    private readonly ctx: AppContext,
    private readonly options: GatewayListenerOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 8_000;
    this.renewMs = options.renewMs ?? 1_500;
    this.retryFinalMs = options.retryFinalMs ?? 60_000;
    this.membersIntentRetryMs = options.membersIntentRetryMs ?? 600_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const loop = () => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
        if (!this.stopped) this.timer = setTimeout(loop, this.renewMs);
      });
    };
    this.timer = setTimeout(loop, 0);
  }

  /** One round: take or renew the lease, then connect or let go. */
  async tick(): Promise<void> {
    const now = Date.now();
    let held: boolean | null;
    try {
      held = await claimLease(this.ctx.db.kysely, this.id, now, this.leaseMs);
    } catch (err) {
      this.ctx.log.debug({ err }, 'gateway: could not reach the database for the lease');
      held = null;
    }
    if (this.stopped) return;
    if (held === true) {
      if (!this.leading) this.ctx.log.info({ listener: this.id }, 'gateway: this instance leads, connecting');
      this.leading = true;
      this.lastRenewed = now;
      this.ensureConnected(now);
    } else if (held === false) {
      if (this.leading) await this.letGo('another instance holds the gateway lease');
    } else if (this.leading && Date.now() - this.lastRenewed > this.leaseMs - this.renewMs) {
      await this.letGo('the gateway lease could not be renewed (database unreachable)');
    }
  }

  private ensureConnected(now: number): void {
    if (this.connection) {
      if (!this.withMembers && now - this.membersOffSince >= this.membersIntentRetryMs) {
        this.withMembers = true;
        this.replaceConnection();
      }
      return;
    }
    if (now >= this.retryAt) this.replaceConnection();
  }

  private replaceConnection(): void {
    const old = this.connection;
    if (old) this.track(old.destroy());
    const intents = this.withMembers ? GATEWAY_INTENTS : GatewayIntentBits.Guilds;
    this.setStatus('connecting', null);
    const connection: GatewayConnection = this.options.open(
      intents,
      this.handlers(() => this.connection === connection),
    );
    this.connection = connection;
  }

  private handlers(current: () => boolean): GatewayHandlers {
    const log = this.ctx.log;
    return {
      dispatch: (payload) => {
        if (!current()) return;
        this.inOrder(orderKey(payload), () =>
          handleGatewayDispatch(this.ctx, payload)
            .then((reaction) => {
              log.debug({ event: payload.t, reaction }, 'gateway dispatch');
              this.options.onReaction?.(payload, reaction);
            })
            .catch((err: unknown) =>
              log.error({ err, event: payload.t }, 'gateway: handling a dispatch failed'),
            ),
        );
      },
      ready: (resumed) => {
        if (!current()) return;
        log.info({ resumed, membersIntent: this.withMembers }, 'gateway connected');
        if (this.withMembers) this.setStatus('connected', null);
        else
          this.setStatus(
            'no_members_intent',
            noMembersIntentDetail(this.ctx.config.RECONCILE_INTERVAL_MINUTES),
          );
      },
      closed: (code) => {
        if (!current()) return;
        if (code === DISALLOWED_INTENTS && this.withMembers) {
          log.warn(
            'gateway: the Server Members intent is off for this bot (4014); member events fall back to reconcile',
          );
          this.withMembers = false;
          this.membersOffSince = Date.now();
          this.replaceConnection();
        } else if (FINAL_CLOSE_CODES.has(code)) {
          log.error({ code }, 'gateway: Discord refused the connection; trying again later');
          this.drop(
            `Discord closed the gateway with ${code}; Rolegate tries again in ${Math.round(this.retryFinalMs / 1000)} s.`,
          );
        } else log.debug({ code }, 'gateway closed; @discordjs/ws resumes or reconnects');
      },
      failed: (err) => {
        if (!current()) return;
        log.warn({ err: err.message }, 'gateway: could not connect; trying again later');
        this.drop(`could not connect: ${err.message}`);
      },
      debug: (message) => log.trace({ gateway: message }, 'gateway debug'),
    };
  }

  /** Ends a connection that gave up, and waits `retryFinalMs` before the next try. */
  private drop(detail: string): void {
    const old = this.connection;
    this.connection = null;
    this.retryAt = Date.now() + this.retryFinalMs;
    if (old) this.track(old.destroy());
    this.setStatus('disconnected', detail);
  }

  private async letGo(reason: string): Promise<void> {
    this.ctx.log.warn({ listener: this.id, reason }, 'gateway: no longer the leader, disconnecting');
    this.leading = false;
    const old = this.connection;
    this.connection = null;
    this.status = 'disconnected';
    await old?.destroy();
  }

  private setStatus(status: GatewayStatus, detail: string | null): void {
    this.status = status;
    this.track(
      recordGatewayStatus(this.ctx.db.kysely, this.id, status, detail, Date.now()).catch((err: unknown) =>
        this.ctx.log.debug({ err }, 'gateway: could not record its status'),
      ),
    );
  }

  /** Runs `work` after the work already queued under `key` (see orderKey). */
  private inOrder(key: string, work: () => Promise<void>): void {
    const next = (this.chains.get(key) ?? Promise.resolve()).then(work);
    this.chains.set(key, next);
    this.track(
      next.finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      }),
    );
  }

  private track<T>(promise: Promise<T>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  /** Waits until every dispatch received so far has been handled (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Disconnects, finishes the dispatches in hand, and hands the lease over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
    const old = this.connection;
    this.connection = null;
    await old?.destroy();
    await this.settled();
    if (this.leading) await releaseLease(this.ctx.db.kysely, this.id, Date.now()).catch(() => undefined);
    this.leading = false;
  }
}
