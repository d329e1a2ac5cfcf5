import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { startSandbox, type Sandbox } from '../../src/main/sandbox.js';
import { freshDatabaseUrl } from '../helpers/db.js';

/** Debian's chromium, which `.ci/run` installs; the browser tests skip (and say so) without it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing: string | null = existsSync(CHROMIUM_PATH)
  ? null
  : `chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/** What `npm start` runs in sandbox mode, on a fresh SQLite database and a free port. */
export async function startE2eSandbox(): Promise<Sandbox> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(join(tmpdir(), 'rolegate-e2e-')),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SANDBOX: 'true',
  });
  return startSandbox(config, { databaseUrl: await freshDatabaseUrl('sqlite') });
}

/** Saves `artifacts/<folder>/<flow>-<nn>-<step>.png` (default folder `e2e`) and numbers the steps of one flow. */
export function screenshots(flow: string, folder = 'e2e') {
  const dir = join('artifacts', folder);
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const taken: string[] = [];
  return {
    taken,
    async shot(page: Page, step: string): Promise<void> {
      n += 1;
      const path = join(dir, `${flow}-${String(n).padStart(2, '0')}-${step}.png`);
      await page.screenshot({ path, fullPage: true });
      taken.push(path);
    },
  };
}

/**
 * Clicks a button in the local Discord's member view until its ephemeral reply shows a link (at
 * most 3 tries). The member view reloads itself whenever a message in the server changes (the roles
 * message may still be edited by a publish): a click that lands during such a reload is lost.
 */
export async function clickForReply(page: Page, button: string, label: string): Promise<Locator> {
  const link = page.locator('#reply a.link');
  for (let attempt = 1; ; attempt++) {
    await page.locator(button, { hasText: label }).click();
    const shown = await link.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (shown || attempt === 3) return link;
    await page.reload();
  }
}

/**
 * Clicks a Buy button in the local Discord's member view and opens the checkout its reply links
 * to (a new page). The member view may reload under either click (see clickForReply): the whole
 * step is tried again, at most 3 times.
 */
export async function openCheckoutFrom(page: Page, button: string, label: string): Promise<Page> {
  for (let attempt = 1; ; attempt++) {
    const link = await clickForReply(page, button, label);
    try {
      const [checkout] = await Promise.all([
        page.context().waitForEvent('page', { timeout: 10_000 }),
        link.click({ timeout: 5_000 }),
      ]);
      return checkout;
    } catch (err) {
      if (attempt === 3) throw err;
      await page.reload();
    }
  }
}
