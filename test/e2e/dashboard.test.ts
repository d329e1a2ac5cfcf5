import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/main/sandbox.js';
import { chromiumMissing, launchChromium, screenshots, startE2eSandbox } from './browser.js';

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
  const { shot } = screenshots('dashboard');

  /** Screenshot at desktop width and at 390 px, and the accessibility check, for one page. */
  async function check(step: string) {
    await page.waitForLoadState('networkidle');
    await shot(page, step);
    expect(await seriousViolations(page), `axe on ${step}`).toEqual([]);
    await page.setViewportSize({ width: 390, height: 844 });
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
});
