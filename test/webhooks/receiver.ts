import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../../src/adapters/store/db.js';
import { newId } from '../../src/core/ids.js';
import { entitlementRow } from '../../src/app/catalog/entitlements.js';
import { seedServer } from '../helpers/seed.js';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  /** A Buffer sends exact bytes (say, invalid UTF-8). */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * A real HTTP receiver on 127.0.0.1:0 that records every request and answers from a script:
 * queued replies first, then `fallback` (200 by default).
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: Reply[] = [];
  fallback: Reply = { status: 200, body: 'ok' };
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = this.script.shift() ?? this.fallback;
        const send = () => {
          res.writeHead(reply.status, reply.headers ?? {});
          res.end(reply.body ?? '');
        };
        if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers the next requests with these replies, in order. */
  answer(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  /** Forgets requests and scripted replies; answers 200 again. */
  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
    this.fallback = { status: 200, body: 'ok' };
  }

  /** Requests received at `path` (default: the hook path). */
  at(path = '/hook'): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** The Standard Webhooks headers of a request, as `Webhook.verify` wants them. */
  static signatureHeaders(r: ReceivedRequest): Record<string, string> {
    return {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A server, an entitlement on it and a customer: what a grant needs. */
export async function seedGrantable(db: Db) {
  const server = await seedServer(db);
  const now = Date.now();
  const entitlementId = newId('entitlement', now);
  const customerId = newId('customer', now);
  await db.kysely
    .insertInto('entitlements')
    .values(
      entitlementRow({
        id: entitlementId,
        serverId: server.id,
        name: 'Gold',
        now,
        role_ids: JSON.stringify([server.roles[0]!.id]),
      }),
    )
    .execute();
  await db.kysely
    .insertInto('customers')
    .values({
      id: customerId,
      email: 'buyer@example.com',
      name: null,
      stripe_customer_id: null,
      discord_user_id: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { serverId: server.id, entitlementId, customerId };
}
