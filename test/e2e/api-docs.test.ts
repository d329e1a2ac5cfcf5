import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/main/sandbox.js';
import { chromiumMissing, launchChromium, screenshots, startE2eSandbox } from './browser.js';

/**
 * The pages Rolegate serves keep working under its Content-Security-Policy, in a real browser:
 * the interactive API docs render every operation, and the offer page shows its form, with not one
 * CSP violation reported.
 */
const title = chromiumMissing
  ? `pages under the Content-Security-Policy (skipped: ${chromiumMissing})`
  : 'pages under the Content-Security-Policy, in a real browser';

/** Collects every CSP violation the page reports, from the console and from the DOM event. */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportViolation(v: string): void }).reportViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      );
    });
  });
  return violations;
}

describe.skipIf(chromiumMissing !== null)(title, () => {
  let sandbox: Sandbox;
  let browser: Browser;

  beforeAll(async () => {
    sandbox = await startE2eSandbox();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  it('the API docs render every operation with no CSP violation', async () => {
    const page = await browser.newPage();
    const violations = await watchViolations(page);
    const { shot } = screenshots('api-docs');
    const response = await page.goto(sandbox.urls.apiDocs);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Rolegate API');
    await expect.poll(() => page.locator('.opblock').count()).toBeGreaterThan(30);
    await shot(page, 'rendered');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('the offer page shows its form with no CSP violation', async () => {
    const page = await browser.newPage();
    const violations = await watchViolations(page);
    await page.goto(sandbox.urls.offers[0]!.url);
    await page.locator('form button[type=submit]').waitFor();
    expect(violations).toEqual([]);
    await page.close();
  });
});
