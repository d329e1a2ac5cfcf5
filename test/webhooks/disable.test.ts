import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { deliverWebhookAttempt } from '../../src/app/webhooks/deliver.js';
import { defaultDeliveryPolicy } from '../../src/app/webhooks/policy.js';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { claimJobs, completeJob } from '../../src/adapters/store/queue.js';
import { describeEachBackend } from '../helpers/backends.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { Receiver } from './receiver.js';
import { webhookDeliverJob } from '../../src/app/webhooks/jobs.js';

// The real schedule without jitter, on a clock the test moves: days pass in milliseconds.
const policy = { ...defaultDeliveryPolicy, jitter: 0 };

describeEachBackend('failing webhook endpoints are disabled after 5 days', ({ dialect }) => {
  let t: TestApp;
  let receiver: Receiver;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // No background worker: the test runs due jobs itself at the manual clock's time.
    t = await startTestApp({ dialect, clock, worker: false });
  });
  afterAll(async () => {
    await t.stop();
    await receiver.stop();
  });
  afterEach(() => {
    receiver.fallback = { status: 200 };
  });

  /** Runs every webhook job due at the manual clock's now, as the worker would. */
  async function runDue(): Promise<number> {
    const jobs = await claimJobs(t.app.ctx.db, 'test-worker', 50, 60_000, clock.now());
    for (const job of jobs) {
      expect(job.kind).toBe(webhookDeliverJob.kind);
      await deliverWebhookAttempt(t.app.ctx, JSON.parse(job.payload), policy);
      await completeJob(t.app.ctx.db.kysely, job, 'test-worker');
    }
    return jobs.length;
  }

  async function nextRunAt(): Promise<number | null> {
    const job = await t.app.ctx.db.kysely
      .selectFrom('jobs')
      .select('run_at')
      .where('status', '=', 'queued')
      .orderBy('run_at')
      .executeTakeFirst();
    return job?.run_at ?? null;
  }

  /** Runs jobs and moves the clock to each next one until the queue is empty; returns the waits. */
  async function drain(): Promise<number[]> {
    const waits: number[] = [];
    for (;;) {
      await runDue();
      const at = await nextRunAt();
      if (at === null) return waits;
      waits.push(at - clock.now());
      clock.set(at);
    }
  }

  async function newEndpoint() {
    const res = await t.api('/api/webhook-endpoints', {
      method: 'POST',
      body: { url: `${receiver.url}/hook` },
    });
    return res.body.id as string;
  }
  const endpoint = async (id: string) => (await t.api(`/api/webhook-endpoints/${id}`)).body;
  const sendTest = async (id: string) =>
    (await t.api(`/api/webhook-endpoints/${id}/test`, { method: 'POST' })).body.id as string;

  it('a failing delivery is retried on the full schedule, then fails without disabling the endpoint', async () => {
    receiver.fallback = { status: 500 };
    const id = await newEndpoint();
    const started = clock.now();
    const deliveryId = await sendTest(id);
    const waits = await drain();
    expect(waits).toEqual(defaultDeliveryPolicy.retryDelaysMs);
    const delivery = (await t.api(`/api/webhook-endpoints/${id}/deliveries`)).body.data[0];
    expect(delivery).toMatchObject({ id: deliveryId, status: 'failed', attempt_count: 10 });
    // About 3 days of failure is not yet 5: the endpoint stays enabled but remembers the streak.
    expect(await endpoint(id)).toMatchObject({
      enabled: true,
      failing_since: new Date(started).toISOString(),
    });
  });

  it('an endpoint that has failed continuously for 5 days is disabled with a reason', async () => {
    receiver.fallback = { status: 500 };
    const id = await newEndpoint();
    const started = clock.now();
    await sendTest(id);
    await drain();
    clock.set(started + 5 * DAY_MS - 2_000);
    const deliveryId = await sendTest(id);
    await runDue(); // fails just under 5 days: a retry is scheduled
    expect((await endpoint(id)).enabled).toBe(true);
    await drain(); // the retry 5 s later is past 5 days
    const ep = await endpoint(id);
    expect(ep.enabled).toBe(false);
    expect(ep.disabled_reason).toMatch(/every delivery has failed since .* \(5 days\)/);
    const delivery = (await t.api(`/api/webhook-endpoints/${id}/deliveries`)).body.data.find(
      (d: { id: string }) => d.id === deliveryId,
    );
    expect(delivery).toMatchObject({ status: 'failed', attempt_count: 2, next_attempt_at: null });

    // Re-enabling forgets the streak and deliveries flow again.
    receiver.fallback = { status: 200 };
    const enabled = await t.api(`/api/webhook-endpoints/${id}`, { method: 'PATCH', body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    await sendTest(id);
    await drain();
    expect((await endpoint(id)).failing_since).toBeNull();
  });

  it('a success in between resets the streak, so an endpoint that fails now and then stays enabled', async () => {
    const id = await newEndpoint();
    receiver.fallback = { status: 500 };
    await sendTest(id);
    await drain();
    clock.advance(DAY_MS);
    receiver.fallback = { status: 200 };
    await sendTest(id);
    await drain();
    expect((await endpoint(id)).failing_since).toBeNull();
    clock.advance(3 * DAY_MS);
    receiver.fallback = { status: 500 };
    await sendTest(id);
    await drain();
    const ep = await endpoint(id);
    expect(ep.enabled).toBe(true);
    expect(Date.parse(ep.failing_since)).toBeGreaterThan(clock.now() - 4 * DAY_MS);
  });

  it('queued attempts of an endpoint disabled meanwhile are not sent', async () => {
    const id = await newEndpoint();
    const deliveryId = await sendTest(id);
    await t.api(`/api/webhook-endpoints/${id}`, { method: 'PATCH', body: { enabled: false } });
    const before = receiver.requests.length;
    await drain();
    expect(receiver.requests.length).toBe(before);
    const delivery = (await t.api(`/api/webhook-endpoints/${id}/deliveries`)).body.data[0];
    expect(delivery).toMatchObject({ id: deliveryId, status: 'failed', attempt_count: 0 });
    expect(delivery.last_error).toMatch(/not sent: disabled through the API/);
  });
});
