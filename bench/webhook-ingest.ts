/**
 * Stripe webhook ingest: signed event → verified → stored in the inbox with its job → 2xx, through
 * Rolegate's real route, against a bare Fastify route that only verifies the signature, in the
 * same run.
 *
 *   npx tsx bench/webhook-ingest.ts [events=4000] [sqlite|postgres|both]
 *
 * Prints, per backend: closed-loop throughput of both (32 requests in flight), their ratio
 * (target ≥ 0.5) and the p99 latency of Rolegate's route at a paced 500 events/s (target < 50 ms).
 * No worker runs: this measures the acknowledgement path, not processing.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import Stripe from 'stripe';
import { loadConfig } from '../src/config.js';
import { startRolegate } from '../src/main/app.js';

const N = Number(process.argv[2] ?? 4000);
const which = process.argv[3] ?? 'both';
const adminUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const stripe = new Stripe('sk_test_bench');
const CONCURRENCY = 32;
const PACED_RATE = 500;
const PACED_SECONDS = 6;

let seq = 0;
function signedEvent(): { body: string; signature: string } {
  seq++;
  const body = JSON.stringify({
    id: `evt_bench_${seq}_${randomBytes(6).toString('hex')}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    type: 'bench.noop',
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: `obj_${seq}`, object: 'bench' } },
  });
  return { body, signature: stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) };
}

// Keep-alive sockets, as Stripe's deliveries reuse connections; a bounded pool keeps the client from
// opening thousands of sockets when the server falls behind.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(url: string): Promise<number> {
  const { body, signature } = signedEvent();
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'stripe-signature': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - start)
            : reject(new Error(`${url} answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Closed loop: `CONCURRENCY` requests in flight until `n` are done. Returns events/s. */
async function throughput(url: string, n: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < n) await post(url);
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

/** Open loop at a fixed rate: each request starts on schedule whatever the previous ones do. */
async function paced(url: string, rate: number, seconds: number) {
  const total = rate * seconds;
  const interval = 1000 / rate;
  const start = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(url));
  }
  const latencies = (await Promise.all(pending)).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { p50: pct(0.5), p99: pct(0.99), max: latencies[latencies.length - 1] ?? NaN };
}

async function bareServer() {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, body, done) => done(null, body));
  app.post('/webhooks/stripe', async (request, reply) => {
    const sig = request.headers['stripe-signature'];
    stripe.webhooks.constructEvent(request.body as Buffer, String(sig), SECRET, 300);
    return reply.send({ received: true });
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${url}/webhooks/stripe`, close: () => app.close() };
}

async function databaseUrl(backend: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (backend === 'sqlite')
    return {
      url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'rolegate-bench-')), 'bench.db')}`,
      drop: async () => {},
    };
  const name = `rolegate_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

async function run(backend: string) {
  const db = await databaseUrl(backend);
  const rolegate = await startRolegate({
    config: loadConfig({
      DATABASE_URL: db.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-bench-data-')),
      PORT: '0',
      LOG_LEVEL: 'silent',
      STRIPE_SECRET_KEY: 'sk_test_bench',
      STRIPE_WEBHOOK_SECRET: SECRET,
      STRIPE_API_URL: 'http://127.0.0.1:9',
      // The bench is one client sending far above any per-address budget: measure ingest, not the limiter.
      RATE_LIMIT_SIGNED_PER_MINUTE: '0',
    }),
    run: { http: true, worker: false, scheduler: false },
  });
  const bare = await bareServer();
  const real = `${rolegate.url}/webhooks/stripe`;
  try {
    // Warm both up (JIT, connection pools) before measuring.
    await throughput(bare.url, 300);
    await throughput(real, 300);
    const bareRate = await throughput(bare.url, N);
    const realRate = await throughput(real, N);
    const bareLat = await paced(bare.url, PACED_RATE, PACED_SECONDS);
    const realLat = await paced(real, PACED_RATE, PACED_SECONDS);
    const stored = await rolegate.ctx.db.kysely
      .selectFrom('inbox_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const ratio = realRate / bareRate;
    console.log(`\n[${backend}]`);
    console.log(
      `  bare verify-only route : ${bareRate.toFixed(0)} events/s; p99 at ${PACED_RATE}/s ${bareLat.p99.toFixed(1)} ms`,
    );
    console.log(
      `  Rolegate ingest route  : ${realRate.toFixed(0)} events/s; at ${PACED_RATE}/s p50 ${realLat.p50.toFixed(1)} ms, p99 ${realLat.p99.toFixed(1)} ms, max ${realLat.max.toFixed(1)} ms`,
    );
    console.log(
      `  ratio                  : ${ratio.toFixed(2)} (target ≥ 0.5) ${ratio >= 0.5 ? 'OK' : 'MISSED'}`,
    );
    console.log(
      `  p99 at ${PACED_RATE}/s          : ${realLat.p99.toFixed(1)} ms (target < 50 ms) ${realLat.p99 < 50 ? 'OK' : 'MISSED'}`,
    );
    console.log(`  inbox rows stored      : ${Number(stored.n)}`);
  } finally {
    await bare.close();
    await rolegate.stop();
    await db.drop();
  }
}

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, node ${process.version}`);
console.log(
  `events per throughput run: ${N}, ${CONCURRENCY} in flight; paced run: ${PACED_RATE}/s for ${PACED_SECONDS} s`,
);
for (const backend of which === 'both' ? ['sqlite', 'postgres'] : [which]) await run(backend);
agent.destroy();
