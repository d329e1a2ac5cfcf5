import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/main/sandbox.js';
import { seriousViolations } from './axe.js';
import { chromiumMissing, launchChromium, screenshots, startE2eSandbox } from './browser.js';

/**
 * The buyer's side in a real browser at 390 px, from a started sandbox (what `npm start` runs):
 * buy with an email, sign into the portal from the mail, connect Discord, switch account, leave the
 * server and regain access, change plan (the roles swap once Stripe has the payment), cancel. Every buyer page is checked with axe-core (0 serious or
 * critical violations) and photographed to artifacts/portal/.
 */
const title = chromiumMissing
  ? `customer portal in a browser (skipped: ${chromiumMissing})`
  : 'customer portal in a browser, from the sandbox';

describe.skipIf(chromiumMissing !== null)(title, { timeout: 60_000 }, () => {
  let sandbox: Sandbox;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const { shot } = screenshots('portal', 'portal');
  const EMAIL = 'dana@example.test';

  beforeAll(async () => {
    sandbox = await startE2eSandbox();
    browser = await launchChromium();
    // bypassCSP: axe-core is injected as a script, which the pages' CSP otherwise forbids.
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    page = await context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  /** Photographs the page and requires no serious or critical axe-core violation on it. */
  const check = async (step: string) => {
    await shot(page, step);
    expect(await seriousViolations(page), step).toEqual([]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${step}: wider than 390 px`).toBeLessThanOrEqual(0);
  };
  const roles = (user: string) => sandbox.discord.getMember(sandbox.demo.guildId, user)?.roles ?? null;
  const waitFor = async (what: string, ok: () => boolean) => {
    const start = Date.now();
    while (!ok()) {
      if (Date.now() - start > 20_000) throw new Error(`timed out waiting for ${what}`);
      await page.waitForTimeout(100);
    }
  };
  const consentAs = async (username: string) => {
    await page
      .waitForURL((url) => url.pathname === '/oauth2/authorize', { timeout: 5000 })
      .catch(async (err) => {
        throw new Error(`${String(err)} at ${page.url()}: ${await page.locator('body').innerText()}`);
      });
    await page.locator('#user_id').selectOption({ label: username });
    await page.getByRole('button', { name: 'Authorize' }).click();
    await page.waitForURL((url) => url.toString().startsWith(`${sandbox.urls.rolegate}/portal`));
  };

  it('buys with an email and signs into the portal from the mail', async () => {
    const offer = sandbox.urls.offers.find((o) => o.name === 'Member');
    await page.goto(offer?.url ?? '');
    await page.locator('input[type="email"]').fill(EMAIL);
    await check('offer-page');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL((url) => url.toString().startsWith(sandbox.stripe.url));
    await page.locator('button[value="pay"]').click();
    await page.waitForURL(/\/checkout\/success/);
    await check('success-page');

    await page.goto(`${sandbox.urls.rolegate}/portal`);
    await check('portal-sign-in');
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await check('check-your-email');

    const mail = await sandbox.mail.waitFor(
      (m) => m.recipients.includes(EMAIL) && m.links.some((l) => l.includes('/portal/sign-in?')),
      20_000,
    );
    expect(mail.html).toContain('Sign in to your purchases');
    const link = mail.links.find((l) => l.includes('/portal/sign-in?')) ?? '';
    await page.goto(link);
    await check('sign-in-link');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your purchases' }).waitFor();
    expect(await page.locator('main').innerText()).toMatch(/Active — renews on/);
    await check('portal-signed-in');

    await page.goto(link);
    expect(await page.locator('main').innerText()).toContain('already used');
    await check('used-link');
  });

  it('connects Discord from the portal and the role appears', async () => {
    await page.goto(`${sandbox.urls.rolegate}/portal`);
    await page.getByRole('button', { name: 'Connect Discord' }).click();
    await consentAs('carol');
    await waitFor(
      'carol gets Member',
      () => roles(sandbox.demo.users.carol)?.includes(sandbox.demo.roles.member) ?? false,
    );
    await page.reload();
    expect(await page.locator('main').innerText()).toContain('Member (you have it)');
    await check('connected');
  });

  it('switches to another Discord account: the roles move', async () => {
    await page.getByRole('button', { name: 'Switch Discord account' }).click();
    await consentAs('bob');
    await waitFor(
      'bob gets Member',
      () => roles(sandbox.demo.users.bob)?.includes(sandbox.demo.roles.member) ?? false,
    );
    await waitFor(
      'carol loses Member',
      () => !(roles(sandbox.demo.users.carol)?.includes(sandbox.demo.roles.member) ?? false),
    );
    await page.reload();
    expect(await page.locator('main').innerText()).toContain('bob');
    await check('switched');
  });

  it('leaves the server, then Regain access brings the member back with the roles', async () => {
    sandbox.discord.memberLeaves(sandbox.demo.guildId, sandbox.demo.users.bob);
    await page.reload();
    expect(await page.locator('main').innerText()).toContain('You are not in the server');
    await check('left-server');
    await page.getByRole('button', { name: 'Regain access' }).click();
    await page.getByText('We are adding you back').waitFor();
    await waitFor(
      'bob back with Member',
      () => roles(sandbox.demo.users.bob)?.includes(sandbox.demo.roles.member) ?? false,
    );
    await page.reload();
    expect(await page.locator('main').innerText()).toContain('Member (you have it)');
    await check('regained');
  });

  it('changes plan: Stripe prorates, and Patron replaces Member once the payment went through', async () => {
    await page.getByRole('link', { name: 'Change plan' }).click();
    await page.getByRole('heading', { name: 'Change plan' }).waitFor();
    expect(await page.locator('main').innerText()).toContain('Member — $5.00 / month');
    await check('change-plan');
    await page.getByRole('button', { name: 'Switch to Patron, $15.00 / month' }).click();
    await page.getByText('Your plan is changed').waitFor();
    await waitFor(
      'bob gets Patron and loses Member',
      () =>
        (roles(sandbox.demo.users.bob)?.includes(sandbox.demo.roles.patron) ?? false) &&
        !(roles(sandbox.demo.users.bob)?.includes(sandbox.demo.roles.member) ?? true),
    );
    await page.reload();
    const text = await page.locator('main').innerText();
    expect(text).toContain('Patron (you have it)');
    // The first payment and the proration invoice of the change.
    expect(await page.getByRole('link', { name: /Receipt/ }).count()).toBeGreaterThanOrEqual(2);
    await check('plan-changed');
  });

  it('cancels: access stays until the period ends; the receipt opens', async () => {
    await page.getByRole('button', { name: 'Cancel subscription' }).click();
    await page.getByText('will not renew').waitFor();
    expect(await page.locator('main').innerText()).toMatch(/Active until .+; it does not renew/);
    expect(roles(sandbox.demo.users.bob)).toContain(sandbox.demo.roles.patron);
    await check('cancelled');
    await page
      .getByRole('link', { name: /Receipt/ })
      .first()
      .click();
    await page.waitForURL((url) => url.toString().startsWith(sandbox.stripe.url));
    await shot(page, 'receipt');
  });
});
