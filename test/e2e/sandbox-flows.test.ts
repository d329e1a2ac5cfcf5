import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/main/sandbox.js';
import { chromiumMissing, clickForReply, launchChromium, screenshots, startE2eSandbox } from './browser.js';

/**
 * The sandbox as a person uses it, in a real browser: what `npm start` runs (local Discord, local
 * Stripe, mail sink, seeded demo server), clicked through page by page. Screenshots of every step
 * go to artifacts/e2e/.
 */
const title = chromiumMissing
  ? `browser end-to-end flows (skipped: ${chromiumMissing})`
  : 'browser end-to-end flows in the sandbox';

describe.skipIf(chromiumMissing !== null)(title, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    sandbox = await startE2eSandbox();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  const memberView = (user: string) =>
    `${sandbox.discord.url}/member?guild=${sandbox.demo.guildId}&user=${user}`;

  it('a member clicks Buy in the roles channel, pays on the checkout page, and sees the role appear', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const { shot } = screenshots('discord-first');

    await page.goto(memberView(sandbox.demo.users.alice));
    await expect.poll(() => page.locator('#roles .role').count()).toBe(0);
    expect(await page.locator('section[data-channel="roles"] .msg').count()).toBe(1);
    await shot(page, 'member-view');

    const link = await clickForReply(page, 'section[data-channel="roles"] button', 'Buy Member');
    await link.waitFor();
    expect(await page.locator('#reply').innerText()).toContain('Only you can see this');
    await shot(page, 'ephemeral-reply');

    const [checkout] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await checkout.waitForLoadState();
    expect(checkout.url()).toContain(sandbox.stripe.url);
    // Stripe Checkout asks a Discord-first buyer for the email it sends receipts to.
    await checkout.locator('input[name="email"]').fill('alice@example.test');
    await shot(checkout, 'stripe-checkout');

    await checkout.locator('button[value="pay"]').click();
    await checkout.waitForURL(/\/checkout\/success/);
    await shot(checkout, 'success-page');

    // The member view reloads itself when the member's roles change.
    await page.bringToFront();
    await page.locator('#roles .role[data-role="Member"]').waitFor({ timeout: 20_000 });
    await shot(page, 'role-appeared');
    const member = sandbox.discord.getMember(sandbox.demo.guildId, sandbox.demo.users.alice);
    expect(member?.roles).toContain(sandbox.demo.roles.member);
    await context.close();
  });

  it('a buyer pays with an email, opens the mail, connects Discord, consents, and gets the role', async () => {
    context = await browser.newContext();
    const page = await context.newPage();
    const { shot } = screenshots('email');
    const vip = sandbox.urls.offers.find((o) => o.name === 'VIP Pass');
    expect(vip).toBeDefined();

    await page.goto(vip?.url ?? '');
    await page.locator('input[type="email"]').fill('carol@example.test');
    await shot(page, 'offer-page');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((url) => url.toString().startsWith(sandbox.stripe.url));
    await shot(page, 'stripe-checkout');

    await page.locator('button[value="pay"]').click();
    await page.waitForURL(/\/checkout\/success/);
    await page.getByText('Connect Discord').first().waitFor();
    await shot(page, 'success-page');

    await sandbox.mail
      .waitFor((m) => m.recipients.includes('carol@example.test'), 20_000)
      .catch(() => {
        throw new Error('no email reached carol@example.test within 20 s of paying (the mail sink got none)');
      });
    await page.goto(sandbox.mail.webUrl);
    const connect = page.locator('.mail a[href*="/discord/link"]').first();
    await connect.waitFor();
    await shot(page, 'mail-sink');

    await connect.click();
    await page.waitForURL((url) => url.pathname === '/oauth2/authorize');
    await page.locator('#user_id').selectOption({ label: 'carol' });
    await shot(page, 'discord-consent');
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL((url) => url.toString().startsWith(sandbox.urls.rolegate));
    await shot(page, 'linked');

    await page.goto(memberView(sandbox.demo.users.carol));
    await page.locator('#roles .role[data-role="VIP Pass"]').waitFor({ timeout: 20_000 });
    await shot(page, 'role-appeared');
    const member = sandbox.discord.getMember(sandbox.demo.guildId, sandbox.demo.users.carol);
    expect(member?.roles).toContain(sandbox.demo.roles.vip);
    await context.close();
  });
});
