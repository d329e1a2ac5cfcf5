import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/main/sandbox.js';
import { enqueue } from '../../src/adapters/store/queue.js';
import { directMessageJob } from '../../src/app/buyer/jobs.js';
import { STRIPE_EVENT_TYPES } from '../../src/app/billing/process.js';
import { webhookEventTypes } from '../../src/app/webhooks/events.js';
import { WEBHOOK_EVENT_TYPES } from '../../web/src/pages/WebhooksEvents.js';
import { CookieJar, signInThroughDiscord } from '../admin/browser-session.js';
import { seriousViolations } from './axe.js';
import { chromiumMissing, launchChromium, screenshots, startE2eSandbox } from './browser.js';

it('the dashboard offers the same webhook event types as the API', () => {
  expect(WEBHOOK_EVENT_TYPES).toEqual([...webhookEventTypes]);
});

(chromiumMissing ? describe.skip : describe)('dashboard: setup, settings, webhooks and jobs', () => {
  vi.setConfig({ testTimeout: 120_000 });
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  let receiver: Server;
  let receiverUrl = '';
  const received: string[] = [];
  /** Every API call the pages made (`METHOD /api/…`), checked against the OpenAPI document at the end. */
  const apiCalls = new Set<string>();
  const { shot } = screenshots('dashboard-settings');
  const base = () => sandbox.urls.rolegate;

  /** Screenshots at desktop width and at 390 px, axe, and no sideways scrolling on a phone. */
  async function check(step: string) {
    await page.waitForLoadState('networkidle');
    await shot(page, step);
    expect(await seriousViolations(page), `axe on ${step}`).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, `${step}-390px`);
    expect(await seriousViolations(page), `axe on ${step} at 390 px`).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${step} fits 390 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 860 });
  }

  /** Focuses the control and presses Enter: the action works from the keyboard. */
  async function pressEnterOn(locator: ReturnType<Page['getByRole']>) {
    await locator.focus();
    await page.keyboard.press('Enter');
  }

  beforeAll(async () => {
    sandbox = await startE2eSandbox();
    browser = await launchChromium();
    // bypassCSP only so the test can inject axe-core; the app itself runs under the real policy.
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.origin === base() && url.pathname.startsWith('/api/'))
        apiCalls.add(`${r.method()} ${url.pathname}`);
    });
    receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['webhook-id'] ?? ''));
        res.writeHead(200).end('thanks');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('signs in as the merchant with the first-run link', async () => {
    await page.goto(sandbox.urls.setupLink ?? '');
    await page.getByRole('link', { name: 'Sign in with Discord' }).click();
    await page.waitForURL(/oauth2\/authorize/);
    await page.selectOption('#user_id', { label: 'merchant' });
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL(/\/setup$/);
  });

  it('Setup: shows the values to paste, creates the Stripe webhook, sends a test mail', async () => {
    await page.getByRole('heading', { name: '1. Public URL' }).waitFor();
    await expect.poll(() => page.getByText(`${base()}/discord/interactions`).count()).toBe(1);
    await expect.poll(() => page.getByText(`${base()}/auth/discord/callback`).count()).toBe(1);
    await check('setup');

    await page.getByRole('button', { name: 'Create the Stripe webhook' }).click();
    await page.getByRole('status').filter({ hasText: 'Webhook created' }).waitFor();
    const mine = sandbox.stripe
      .webhookEndpoints()
      .find((e) => e.enabledEvents.join() === STRIPE_EVENT_TYPES.join());
    expect(mine?.url).toBe(`${base()}/webhooks/stripe`);
    await page.getByText(`Endpoint ${mine?.id} is in place.`).waitFor();

    await page.getByLabel(/^Send a test mail to/).fill('owner@example.com');
    await pressEnterOn(page.getByLabel(/^Send a test mail to/));
    await page.getByRole('status').filter({ hasText: 'Test mail sent' }).waitFor();
    const mail = await sandbox.mail.waitFor((m) => m.subject === 'Rolegate test mail');
    expect(mail.recipients).toEqual(['owner@example.com']);
    await page.getByText(/Last test mail: to owner@example.com/).waitFor();
    await check('setup-done');
  });

  it('Settings: creates an API key with the keyboard, uses it, revokes it', async () => {
    await page.goto(`${base()}/settings`);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel(/^Name of the new key/).focus();
    await page.keyboard.type('ci export');
    await page.keyboard.press('Enter');
    const created = page.getByRole('status').filter({ hasText: 'API key “ci export” created' });
    await created.waitFor();
    const key = (await created.locator('code').textContent()) ?? '';
    expect(key).toMatch(/^rg_/);
    const call = () => fetch(`${base()}/api/servers`, { headers: { authorization: `Bearer ${key}` } });
    expect((await call()).status).toBe(200);
    await check('settings-key-created');

    await pressEnterOn(page.getByRole('button', { name: 'Revoke API key ci export' }));
    // Asked again in place; focus is on Cancel, so a second Enter would not revoke.
    await page.getByRole('button', { name: 'Cancel' }).waitFor();
    await check('settings-revoke-asked');
    await pressEnterOn(page.getByRole('button', { name: 'Yes, revoke' }));
    await page
      .getByText(/revoked/)
      .first()
      .waitFor();
    expect((await call()).status).toBe(401);
  });

  it('Settings: invites an admin who then signs in', async () => {
    await page.getByRole('button', { name: 'Invite an admin' }).click();
    const alert = page.getByRole('status').filter({ hasText: 'Invitation link created' });
    await alert.waitFor();
    const link = new URL((await alert.locator('code').textContent()) ?? '');
    const invite = link.searchParams.get('invite') ?? '';
    expect(invite).not.toBe('');
    const jar = new CookieJar(base());
    await signInThroughDiscord(jar, sandbox.discord, sandbox.demo.users.alice, invite);
    expect((await jar.json('/api/session')).body?.admin.username).toBe('Alice');
    await page.reload();
    await page.getByRole('button', { name: 'Remove admin Alice' }).waitFor();
  });

  it('Settings: ends a session of another browser', async () => {
    const me = (await page.evaluate(async () => (await fetch('/api/session')).json())) as {
      admin: { discord_user_id: string };
    };
    const other = new CookieJar(base());
    await signInThroughDiscord(other, sandbox.discord, me.admin.discord_user_id);
    const otherId = String((await other.json('/api/session')).body?.session_id);
    await page.reload();
    const end = page.getByRole('button', { name: `End session ${otherId}` });
    await end.waitFor();
    await check('settings');
    await pressEnterOn(end);
    await end.waitFor({ state: 'detached' });
    expect((await other.json('/api/session')).status).toBe(401);
  });

  it('Webhooks: creates an endpoint, reveals its secret, sends a test and sees the delivery', async () => {
    await page.goto(`${base()}/webhooks`);
    await page.getByText('No endpoint yet.').waitFor();
    await page.getByLabel(/^URL/).fill(receiverUrl);
    await page.getByLabel(/^Description/).fill('Our CRM');
    await check('webhooks-new');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.waitForURL(/\/webhooks\/whe_/);

    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secret = page.locator('code').filter({ hasText: /^whsec_/ });
    await secret.waitFor();
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    const api = (await page.evaluate(
      async (path) => (await fetch(path)).json(),
      `/api/webhook-endpoints/${id}/secret`,
    )) as { secret: string };
    expect(await secret.textContent()).toBe(api.secret);

    await pressEnterOn(page.getByRole('button', { name: 'Send test event' }));
    await page.getByRole('status').filter({ hasText: 'Test event queued' }).waitFor();
    const delivery = page.getByTestId('delivery').filter({ hasText: 'webhook_endpoint.test' });
    await expect.poll(() => delivery.textContent(), { timeout: 15_000 }).toContain('succeeded');
    expect(received.length).toBe(1);
    await delivery.locator('summary').focus();
    await page.keyboard.press('Enter');
    await delivery.getByText(/Attempt 1, .*: 200 — “thanks”/).waitFor();
    await check('webhook-endpoint');

    await delivery.getByRole('button', { name: /^Resend/ }).click();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(2);
    expect(received[1]).toBe(received[0]);
    await page.goto(`${base()}/webhooks`);
    await page.getByText('Our CRM').waitFor();
    await check('webhooks');
  });

  it('Jobs: retries a dead job, which then runs', async () => {
    const ctx = sandbox.app.ctx;
    const alice = sandbox.demo.users.alice;
    // Discord fails while the DM is tried once: the job dies with Discord's error.
    sandbox.discord.faults.next({ match: { pathIncludes: '/users/@me/channels' }, status: 500, count: 20 });
    await enqueue(ctx.db.kysely, ctx.db.dialect, {
      kind: directMessageJob.kind,
      payload: { userId: alice, body: { content: 'Your access is ready.' }, cause: 'test:jobs-page' },
      maxAttempts: 1,
    });
    ctx.nudge();
    await page.goto(`${base()}/jobs`);
    const job = page.getByTestId('job').filter({ hasText: directMessageJob.kind });
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return job.count();
        },
        { timeout: 20_000 },
      )
      .toBe(1);
    await check('jobs-dead');

    sandbox.discord.faults.clear();
    await pressEnterOn(job.getByRole('button', { name: /^Retry/ }));
    await page.getByRole('status').filter({ hasText: 'Job queued again' }).waitFor();
    await expect
      .poll(() => sandbox.discord.dmMessages(alice).map((m) => m.content), { timeout: 15_000 })
      .toContain('Your access is ready.');
    await page.getByRole('button', { name: 'Refresh' }).click();
    await job.waitFor({ state: 'detached' });
    await check('jobs-retried');
  });

  it('every action of these pages went through a route the OpenAPI document lists', async () => {
    const doc = (await (await fetch(`${base()}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${path.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
    const undocumented = [...apiCalls].filter((call) => {
      const [method, path] = call.split(' ') as [string, string];
      return !documented.some((o) => o.method === method && o.pattern.test(path));
    });
    for (const call of [
      'POST /api/setup/stripe-webhook',
      'POST /api/setup/test-mail',
      'DELETE /api/sessions/',
      'POST /api/admin-invitations',
      'GET /api/webhook-endpoints/',
      'POST /api/jobs/',
    ])
      expect(
        [...apiCalls].some((c) => c.startsWith(call)),
        call,
      ).toBe(true);
    expect(undocumented).toEqual([]);
  });
});
