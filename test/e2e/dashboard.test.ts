import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/main/sandbox.js';
import { chromiumMissing, launchChromium, openCheckoutFrom, startE2eSandbox } from './browser.js';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    return (await axe.run()).violations;
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

(chromiumMissing ? describe.skip : describe)('the merchant dashboard in a browser', () => {
  vi.setConfig({ testTimeout: 120_000 });
  let sandbox: Sandbox;
  let browser: Browser;
  let page: Page;
  /** Every API call the dashboard made during the flow, as "METHOD /path". */
  const apiCalls = new Set<string>();
  // One file per step and width: artifacts/e2e/dashboard-<step>.png and dashboard-<step>-390px.png.
  mkdirSync(join('artifacts', 'e2e'), { recursive: true });
  const shot = (page: Page, step: string) =>
    page.screenshot({ path: join('artifacts', 'e2e', `dashboard-${step}.png`), fullPage: true });

  /** Screenshot at desktop width and at 390 px, and the accessibility check, for one page. */
  async function check(step: string) {
    await page.waitForLoadState('networkidle');
    // A dialog fades in: wait for every transition so the shot and the contrast check see the end state.
    const settled = () =>
      page.evaluate(() =>
        Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
      );
    await settled();
    await shot(page, step);
    expect(await seriousViolations(page), `axe on ${step}`).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
    await settled();
    await shot(page, `${step}-390px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${step} fits 390 px`).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 860 });
  }

  beforeAll(async () => {
    sandbox = await startE2eSandbox();
    browser = await launchChromium();
    // bypassCSP only so the test can inject axe-core; the app itself runs under the real policy.
    page = await browser.newPage({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.origin === sandbox.urls.rolegate && url.pathname.startsWith('/api/'))
        apiCalls.add(`${r.method()} ${url.pathname}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it('signs in through the local Discord with the first-run link', async () => {
    await page.goto(sandbox.urls.setupLink ?? '');
    await check('01-sign-in');
    await page.getByRole('link', { name: 'Sign in with Discord' }).click();
    await page.waitForURL(/oauth2\/authorize/);
    await page.selectOption('#user_id', { label: 'merchant' });
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL(/\/setup$/);
    await expect.poll(() => page.getByText('The Merchant').first().isVisible()).toBe(true);
  });

  it('adds a server through the install consent and comes back to the dashboard', async () => {
    await page.goto(`${sandbox.urls.rolegate}/servers`);
    await page.getByText('Demo Server').first().waitFor();
    await check('02-servers');
    await page.getByRole('button', { name: 'Add server' }).click();
    await page.waitForURL(/oauth2\/authorize/);
    await page.selectOption('#user_id', { label: 'merchant' });
    await page.selectOption('#guild_id', { label: 'Second Server' });
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL(/\/servers\?added=srv_/);
    await page.getByText('Second Server').first().waitFor();
    await check('03-server-added');
  });

  it('creates an entitlement by picking the server and roles from dropdowns', async () => {
    // The merchant drags the bot's role on top, as the page tells them to.
    const guildId = sandbox.demo.spareGuildId;
    const botRole = sandbox.discord.listRoles(guildId).find((r) => r.managed)!;
    sandbox.discord.moveRole(guildId, botRole.id, sandbox.discord.listRoles(guildId).length - 1);
    await page.goto(`${sandbox.urls.rolegate}/entitlements/new`);
    await page
      .getByLabel(/^Server/)
      .first()
      .click();
    await page.getByRole('option', { name: 'Second Server' }).click();
    await page.getByLabel(/^Name/).fill('Supporters');
    await page
      .getByLabel(/^Roles to give/)
      .first()
      .click();
    await page.getByRole('option', { name: 'Supporter' }).click();
    await page.keyboard.press('Escape');
    await check('04-new-entitlement');
    await page.getByRole('button', { name: 'Create entitlement' }).click();
    await page.waitForURL(/\/entitlements$/);
    await page.getByText('Supporters').first().waitFor();
    await check('05-entitlements');
  });

  it('picks the roles channel and publishes the message', async () => {
    await page.goto(`${sandbox.urls.rolegate}/servers`);
    await page.getByRole('link', { name: 'Manage Second Server' }).click();
    await page
      .getByLabel(/^Channel/)
      .first()
      .click();
    await page.getByRole('option', { name: '#announcements' }).click();
    await page.getByRole('button', { name: 'Use this channel' }).click();
    await page.getByRole('button', { name: 'Publish now' }).click();
    await page.getByRole('status').waitFor();
    const serverId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const channelId = await page.evaluate(
      async (id) =>
        ((await (await fetch(`/api/servers/${id}/roles-channel`)).json()) as { channel_id: string })
          .channel_id,
      serverId,
    );
    // The worker posts the message over HTTP to the local Discord: it appears there with the offer.
    await expect
      .poll(() => JSON.stringify(sandbox.discord.channelMessages(channelId)), { timeout: 15_000 })
      .toContain('Supporters');
    await check('06-roles-channel');
  });

  const memberView = (guildId: string, user: string) =>
    `${sandbox.discord.url}/member?guild=${guildId}&user=${user}`;
  const supporterRole = () =>
    sandbox.discord.listRoles(sandbox.demo.spareGuildId).find((r) => r.name === 'Supporter')!;

  it('a purchase made in the local Discord appears as Subscribed', async () => {
    const guildId = sandbox.demo.spareGuildId;
    const alice = sandbox.demo.users.alice;
    sandbox.discord.addMember(guildId, alice);
    const buyer = await browser.newContext();
    const discordPage = await buyer.newPage();
    await discordPage.goto(memberView(guildId, alice));
    const checkout = await openCheckoutFrom(
      discordPage,
      'section[data-channel="announcements"] button',
      'Supporters',
    );
    await checkout.waitForLoadState();
    await checkout.locator('input[name="email"]').fill('alice@example.test');
    await checkout.locator('button[value="pay"]').click();
    await checkout.waitForURL(/\/checkout\/success/);
    await expect
      .poll(() => sandbox.discord.getMember(guildId, alice)?.roles ?? [], { timeout: 20_000 })
      .toContain(supporterRole().id);
    await buyer.close();

    // A buyer who paid from Discord is known by their Discord account.
    await page.goto(`${sandbox.urls.rolegate}/subscribers`);
    const row = page.getByRole('listitem').filter({ hasText: alice });
    await row.getByText('Subscribed', { exact: true }).waitFor();
    await expect.poll(() => row.getByText('Supporters · Second Server').isVisible()).toBe(true);
    await check('07-subscribers');
    await row.getByRole('link', { name: `Discord user ${alice}` }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.getByText('Access delivered in Discord').waitFor();
    await check('08-subscriber');
  });

  it('sends the invitation again to a buyer who paid by email, with the keyboard only', async () => {
    const entitlement = await page.evaluate(
      async () =>
        (
          (await (await fetch('/api/entitlements?limit=100')).json()) as {
            data: { id: string; name: string }[];
          }
        ).data,
    );
    const supporters = entitlement.find((e) => e.name === 'Supporters')!;
    const buyer = await browser.newContext();
    const offer = await buyer.newPage();
    await offer.goto(`${sandbox.urls.rolegate}/offers/${supporters.id}`);
    await offer.locator('input[type="email"]').fill('dave@example.test');
    await offer.getByRole('button', { name: 'Continue to payment' }).click();
    await offer.waitForURL((url) => url.toString().startsWith(sandbox.stripe.url));
    await offer.locator('button[value="pay"]').click();
    await offer.waitForURL(/\/checkout\/success/);
    await buyer.close();
    const toDave = () => sandbox.mail.mails.filter((m) => m.recipients.includes('dave@example.test')).length;
    await expect.poll(toDave, { timeout: 20_000 }).toBe(1);

    await page.goto(`${sandbox.urls.rolegate}/subscribers`);
    const search = page.getByLabel('Search');
    await search.focus();
    await page.keyboard.type('dave');
    const row = page.getByRole('listitem').filter({ hasText: 'dave@example.test' });
    await row.getByText('Invitation sent — not yet linked').waitFor();
    await expect.poll(() => page.getByRole('listitem').count()).toBe(1);
    // Tab from the search box to the row's button, Enter, then Tab to the dialog's confirm button.
    const focused = () =>
      page.evaluate(
        () => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent,
      );
    for (let i = 0; i < 20 && (await focused()) !== 'Send invitation again to dave@example.test'; i++)
      await page.keyboard.press('Tab');
    expect(await focused()).toBe('Send invitation again to dave@example.test');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Send the invitation' });
    await dialog.waitFor();
    await check('09-send-invitation-dialog');
    for (let i = 0; i < 10 && (await focused()) !== 'Send invitation'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Send invitation');
    await page.keyboard.press('Enter');
    await row.getByRole('status').filter({ hasText: 'Invitation queued' }).waitFor();
    await expect.poll(toDave, { timeout: 20_000 }).toBe(2);
    await check('10-invitation-sent');
  });

  it('grants access by hand to an email (the buyer is invited) and extends it', async () => {
    await page.goto(`${sandbox.urls.rolegate}/subscribers`);
    await page.getByRole('button', { name: 'Grant by hand' }).click();
    const dialog = page.getByRole('dialog', { name: 'Grant access by hand' });
    await dialog.getByLabel(/^Entitlement/).click();
    await page.getByRole('option', { name: 'Supporters' }).click();
    await dialog.getByLabel('Email').fill('erin@example.test');
    await dialog.getByLabel('Days of access').fill('30');
    await check('11-grant-by-hand-dialog');
    await dialog.getByRole('button', { name: 'Grant access' }).click();
    await page.getByRole('status').filter({ hasText: 'Access granted' }).waitFor();
    await sandbox.mail.waitFor((m) => m.recipients.includes('erin@example.test'), 20_000);

    const row = page.getByRole('listitem').filter({ hasText: 'erin@example.test' });
    const endsBefore = await row.getByText(/^Until /).innerText();
    await row.getByRole('button', { name: 'Extend erin@example.test' }).click();
    const extend = page.getByRole('dialog', { name: 'Extend access' });
    await extend.getByLabel('Days to add').fill('10');
    await extend.getByRole('button', { name: 'Extend' }).click();
    await row.getByRole('status').filter({ hasText: 'extended by 10 days' }).waitFor();
    await expect.poll(() => row.getByText(/^Until /).innerText()).not.toBe(endsBefore);
    await check('12-extended');

    // The CSV export is the same list, as a file.
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href ?? '');
    expect(csv.split('\r\n')[0]).toContain('id,status,status_label,who_acts,email');
    expect(csv).toContain('erin@example.test');
  });

  it('revokes a subscriber, choosing what happens to the Stripe billing', async () => {
    const alice = sandbox.demo.users.alice;
    await page.goto(`${sandbox.urls.rolegate}/subscribers?q=${alice}`);
    const row = page.getByRole('listitem').filter({ hasText: alice });
    await row.getByRole('button', { name: `Revoke Discord user ${alice}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke access' });
    await dialog.getByLabel('Reason (optional)').fill('Asked to leave');
    await dialog.getByLabel('Cancel at the end of the paid period').check();
    await check('13-revoke-dialog');
    await dialog.getByRole('button', { name: 'Revoke access' }).click();
    await row.getByText('Revoked', { exact: true }).waitFor();
    await row.getByText('Asked to leave').waitFor();
    await expect
      .poll(
        () => sandbox.discord.getMember(sandbox.demo.spareGuildId, sandbox.demo.users.alice)?.roles ?? [],
        {
          timeout: 20_000,
        },
      )
      .not.toContain(supporterRole().id);
    await check('14-revoked');
    await row.getByRole('link', { name: `Discord user ${alice}` }).click();
    await page
      .getByText(/On revoke: Subscription set to end with the paid period — (in progress|done)/)
      .waitFor();
    await check('14-revoked-subscriber');
  });

  it('shows the alert when a sold role is moved above the bot in Discord', async () => {
    sandbox.discord.moveRoleAboveBot(sandbox.demo.spareGuildId, supporterRole().id);
    await page.goto(`${sandbox.urls.rolegate}/alerts`);
    // The page polls the alerts; the gateway event pauses the server within seconds.
    await page.getByText('Second Server: syncs are paused').waitFor({ timeout: 30_000 });
    await check('15-alerts');
    await page.goto(`${sandbox.urls.rolegate}/`);
    await page.getByText('Second Server: syncs are paused').waitFor();
    await page.getByRole('img', { name: /New and lost members per day/ }).waitFor();
    await check('16-overview');
  });

  it('archives an entitlement (it stops selling) and restores it', async () => {
    await page.goto(`${sandbox.urls.rolegate}/entitlements`);
    await page.getByRole('link', { name: 'Edit VIP Pass' }).click();
    await page.getByRole('button', { name: 'Archive (stop selling)' }).click();
    await page.waitForURL(/\/entitlements$/);
    await page.getByRole('link', { name: 'Edit VIP Pass' }).click();
    await page.getByText('Archived: not for sale').waitFor();
    await check('17-archived-entitlement');
    await page.getByRole('button', { name: 'Restore (sell again)' }).click();
    await page.getByRole('button', { name: 'Archive (stop selling)' }).waitFor();
    expect(await page.getByText('Archived: not for sale').count()).toBe(0);
    const vip = sandbox.demo.entitlements.find((e) => e.name === 'VIP Pass')!;
    const offer = await fetch(`${sandbox.urls.rolegate}/offers/${vip.id}`);
    expect(offer.status).toBe(200);

    // A sale end, typed in the form, is what the API then says.
    await page.getByLabel('Sale ends').fill('2030-01-31T18:00');
    await check('18-sale-end');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/entitlements$/);
    const saved = (await (
      await fetch(`${sandbox.urls.rolegate}/api/entitlements/${vip.id}`, {
        headers: { authorization: `Bearer ${sandbox.demo.apiKey}` },
      })
    ).json()) as { sale_ends_at: string | null };
    expect(saved.sale_ends_at).toBe(await page.evaluate(() => new Date('2030-01-31T18:00').toISOString()));
  });

  it('every API call the pages made is an operation the OpenAPI document lists', async () => {
    const doc = (await (await fetch(`${sandbox.urls.rolegate}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${path.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
    const undocumented = [...apiCalls].filter((call) => {
      const [method, path] = call.split(' ') as [string, string];
      return !operations.some((o) => o.method === method && o.pattern.test(path));
    });
    expect(apiCalls.size).toBeGreaterThan(15);
    expect(undocumented).toEqual([]);
  });
});
